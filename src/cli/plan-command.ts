import { makePlan } from "../core/make-plan.js";
import { renderPlan } from "../core/render-plan.js";
import { formatIssue } from "../core/validation-issue.js";
import { EXIT, type Command } from "./command.js";
import { loadTasksFile } from "./load-tasks-file.js";
import { parallelArg } from "./parallel-arg.js";
import { parseCommandArgs } from "./parse-command-args.js";
import { CliError } from "./cli-error.js";
import { wantsColour } from "./cli-io.js";
import { painter } from "../local/terminal-colour.js";

const USAGE = `Usage: orchestrator plan [file] [--parallel N] [--json]

Show how a session would run the tasks file: waves, the critical path, the lower bound on the
total time, the worst-case cost, and a timeline per agent. Each task takes its estimate_minutes (1 when unset); the
scheduler itself decides the order, exactly as in a real run.

Arguments:
  file            the tasks file (default: tasks/tasks.json, else tasks/tasks.yaml or .yml, at
                  the repository root, found from any folder in it; outside git, in this folder)

Options:
  --parallel N    agents running at once (default: the file's max_parallel_agents, else 3)
  --json          print {"makespan_minutes", "lower_bound_minutes", "critical_path",
                  "waves", "schedule": [{"id", "start", "end", "agent"}],
                  "worst_case_cost_usd" (null: unbounded), "uncapped_tasks"}
  -h, --help      show this help

Exit codes: 0 planned, 1 invalid or unreadable file, 2 wrong command line.
`;

export const planCommand: Command = {
  name: "plan",
  summary: "show the schedule a session would follow: waves, critical path, timeline",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      options: {
        parallel: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 1) throw new CliError(`expected one tasks file, got ${positionals.length}`);
    const parallel = parallelArg(values.parallel);

    const { fileName, result } = await loadTasksFile({ cwd: io.cwd, file: positionals[0] });
    if (!result.ok) {
      const count = result.issues.length;
      io.stderr(
        result.issues.map((issue) => `${formatIssue(issue)}\n`).join("") +
          `${painter(wantsColour(io))("✗", "bad")} ${fileName}: ${count} problem${count === 1 ? "" : "s"}; fix ${count === 1 ? "it" : "them"} to see a plan\n`,
      );
      return EXIT.failed;
    }
    const plan = makePlan({ graph: result.graph, agents: parallel ?? result.graph.maxParallelAgents });
    if (values.json) {
      const json = {
        makespan_minutes: plan.makespanMinutes,
        lower_bound_minutes: plan.lowerBoundMinutes,
        critical_path: plan.criticalPath,
        waves: plan.waves,
        schedule: plan.schedule.map(({ id, start, end, agent }) => ({ id, start, end, agent })),
        worst_case_cost_usd: plan.worstCaseCost.maxUsd,
        uncapped_tasks: plan.worstCaseCost.uncapped,
      };
      io.stdout(`${JSON.stringify(json, null, 2)}\n`);
      return EXIT.ok;
    }
    io.stdout(renderPlan({ plan, fileName }));
    return EXIT.ok;
  },
};
