/**
 * What the scripted model writes for each task of the textkit example (tasks/tasks.json): real,
 * working code, so the demo's branches hold a library whose tests pass and whose CLI runs.
 *
 * slugify and word-count run in parallel and both add a line to src/index.js; their lines go to
 * two different sections of the file (with an unchanged line between them) so that git merges
 * the two branches for the tasks that depend on both, as it would for two careful developers.
 */

export interface DemoFile {
  path: string;
  content: string;
}

const INDEX_HEADER = `/**
 * textkit: small, dependency-free string utilities for Node.js.
 * Each utility lives in its own module under src/ and is re-exported here.
 */
`;

const PACKAGE_BASE = {
  name: "textkit",
  version: "0.0.0",
  description: "Small, dependency-free string utilities for Node.js.",
  type: "module",
  main: "src/index.js",
  exports: { ".": "./src/index.js" },
};
const PACKAGE_REST = {
  engines: { node: ">=20" },
  scripts: { test: "node --test", lint: "node --check src/index.js" },
  license: "MIT",
};

function packageJson(extra: { version?: string; bin?: boolean } = {}): string {
  const value = {
    ...PACKAGE_BASE,
    ...(extra.version === undefined ? {} : { version: extra.version }),
    ...(extra.bin ? { bin: { textkit: "bin/textkit.js" } } : {}),
    ...PACKAGE_REST,
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}

const SLUGIFY = `/**
 * Turns any title into a URL-safe slug.
 *
 * @example
 * slugify("Crème Brûlée: a recipe!"); // "creme-brulee-a-recipe"
 * @example
 * slugify("Hello World", { separator: "_", lowercase: false }); // "Hello_World"
 *
 * @param {string} text
 * @param {{ separator?: string, lowercase?: boolean, maxLength?: number }} [options]
 *   \`maxLength\` cuts at a separator so no word is split (a first word longer than the limit is cut).
 * @returns {string}
 */
export function slugify(text, options = {}) {
  if (typeof text !== "string") {
    throw new TypeError(\`slugify expects a string, got \${text === null ? "null" : typeof text}\`);
  }
  const { separator = "-", lowercase = true, maxLength } = options;
  // NFKD splits "é" into "e" plus a combining accent, which \\p{M} then removes.
  const plain = text.normalize("NFKD").replace(/\\p{M}/gu, "");
  const words = plain.split(/[^A-Za-z0-9]+/).filter((word) => word !== "");
  let slug = "";
  for (const word of words) {
    const next = slug === "" ? word : \`\${slug}\${separator}\${word}\`;
    if (maxLength !== undefined && next.length > maxLength) {
      if (slug === "") slug = word.slice(0, maxLength);
      break;
    }
    slug = next;
  }
  return lowercase ? slug.toLowerCase() : slug;
}
`;

const WORD_COUNT = `const words = new Intl.Segmenter("en", { granularity: "word" });
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * Counts words, user-perceived characters and lines.
 *
 * @example
 * wordCount("Don't panic.\\nIt's fine 👍"); // { words: 4, characters: 24, lines: 2 }
 *
 * @param {string} text
 * @returns {{ words: number, characters: number, lines: number }}
 */
export function wordCount(text) {
  if (typeof text !== "string") {
    throw new TypeError(\`wordCount expects a string, got \${text === null ? "null" : typeof text}\`);
  }
  let wordTotal = 0;
  for (const segment of words.segment(text)) if (segment.isWordLike) wordTotal++;
  let characters = 0;
  for (const _segment of graphemes.segment(text)) characters++;
  const lines = text === "" ? 0 : text.split(/\\r?\\n/).length;
  return { words: wordTotal, characters, lines };
}
`;

const CLI = `#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { slugify, wordCount } from "../src/index.js";

const USAGE = \`Usage: textkit <command> [options]

Commands:
  slugify <text...> [--separator <s>]  print the slug of the text
  count [file] [--json]                count words, characters and lines
                                       (of standard input when no file is given)

Options:
  -h, --help                           show this help
\`;

function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "slugify") {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { separator: { type: "string" } },
    });
    if (positionals.length === 0) {
      process.stderr.write("textkit slugify: give the text to turn into a slug\\n");
      return 2;
    }
    const options = values.separator === undefined ? {} : { separator: values.separator };
    process.stdout.write(\`\${slugify(positionals.join(" "), options)}\\n\`);
    return 0;
  }
  if (command === "count") {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    const [file] = positionals;
    let text;
    try {
      text = readFileSync(file ?? 0, "utf8");
    } catch (error) {
      const why = error.code === "ENOENT" ? "no such file" : error.message;
      process.stderr.write(\`textkit count: cannot read \${file ?? "standard input"}: \${why}\\n\`);
      return 1;
    }
    const counts = wordCount(text);
    process.stdout.write(
      values.json
        ? \`\${JSON.stringify(counts)}\\n\`
        : \`\${counts.words} words, \${counts.characters} characters, \${counts.lines} lines\\n\`,
    );
    return 0;
  }
  process.stderr.write(\`textkit: unknown command "\${command}"\\n\\n\${USAGE}\`);
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // parseArgs rejects unknown options with a TypeError whose message says which.
  process.stderr.write(\`textkit: \${error.message}\\n\\n\${USAGE}\`);
  process.exitCode = 2;
}
`;

const SLUGIFY_TESTS = `import assert from "node:assert/strict";
import { test } from "node:test";
import { slugify } from "../src/slugify.js";

test("plain titles", () => {
  assert.equal(slugify("Hello World"), "hello-world");
  assert.equal(slugify("Node.js 20 is here"), "node-js-20-is-here");
});

test("accents are removed", () => {
  assert.equal(slugify("Crème Brûlée"), "creme-brulee");
});

test("repeated, leading and trailing punctuation collapse", () => {
  assert.equal(slugify("  --Hello,,,   World!!  "), "hello-world");
});

test("custom separator", () => {
  assert.equal(slugify("Hello World", { separator: "_" }), "hello_world");
});

test("lowercase: false keeps the case", () => {
  assert.equal(slugify("Hello World", { lowercase: false }), "Hello-World");
});

test("maxLength cuts at a word boundary", () => {
  assert.equal(slugify("The quick brown fox", { maxLength: 12 }), "the-quick");
  assert.equal(slugify("Supercalifragilistic", { maxLength: 5 }), "super");
});

test("the empty string", () => {
  assert.equal(slugify(""), "");
});

test("non-strings throw a TypeError", () => {
  assert.throws(() => slugify(42), { name: "TypeError", message: /expects a string, got number/ });
  assert.throws(() => slugify(null), { name: "TypeError", message: /got null/ });
});
`;

const WORD_COUNT_TESTS = `import assert from "node:assert/strict";
import { test } from "node:test";
import { wordCount } from "../src/word-count.js";

test("the empty string", () => {
  assert.deepEqual(wordCount(""), { words: 0, characters: 0, lines: 0 });
});

test("several spaces and line breaks", () => {
  assert.deepEqual(wordCount("one  two\\n\\nthree"), { words: 3, characters: 15, lines: 3 });
});

test("\\\\r\\\\n line endings", () => {
  assert.equal(wordCount("a\\r\\nb\\r\\nc").lines, 3);
});

test("punctuation is not a word", () => {
  assert.equal(wordCount("Hello, world! -- ok?").words, 3);
});

test("contractions are one word", () => {
  assert.equal(wordCount("don't stop").words, 2);
});

test("an emoji is one character", () => {
  assert.equal(wordCount("hi 👋🏽").characters, 4);
});

test("non-strings throw a TypeError", () => {
  assert.throws(() => wordCount(undefined), { name: "TypeError", message: /expects a string, got undefined/ });
});
`;

const README = `# textkit

Small, dependency-free string utilities for Node.js 20+: \`slugify\` and \`wordCount\`, and a
\`textkit\` command line.

## Usage

### Installation

\`\`\`sh
npm install textkit
\`\`\`

### slugify(text, options)

\`\`\`js
import { slugify } from "textkit";

console.log(slugify("Crème Brûlée: a recipe!")); // creme-brulee-a-recipe
console.log(slugify("Hello World", { separator: "_" })); // hello_world
console.log(slugify("Hello World", { lowercase: false })); // Hello-World
console.log(slugify("The quick brown fox", { maxLength: 12 })); // the-quick
\`\`\`

Options: \`separator\` (default \`"-"\`), \`lowercase\` (default \`true\`), \`maxLength\` (cuts at a
separator so no word is split). A non-string \`text\` throws a \`TypeError\`.

### wordCount(text)

\`\`\`js
import { wordCount } from "textkit";

console.log(wordCount("Don't panic.\\nIt's fine")); // { words: 4, characters: 22, lines: 2 }
\`\`\`

Words are counted with \`Intl.Segmenter\`, so punctuation is ignored and "don't" is one word;
characters are what a reader sees (an emoji is one).

### Command line

\`\`\`sh
$ textkit slugify "Hello, World"
hello-world
$ textkit slugify --separator _ Hello World
hello_world
$ textkit count README.md
185 words, 1405 characters, 53 lines
$ echo "one two three" | textkit count --json
{"words":3,"characters":14,"lines":2}
\`\`\`

\`textkit --help\` prints the usage; an unknown command exits with code 2, a missing file with 1.
`;

function changelog(date: string): string {
  return `# Changelog

All notable changes to this project are documented in this file. The format is based on
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/), and this project follows
[Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [0.1.0] - ${date}

### Added

- \`slugify(text, options)\`: URL-safe slugs with accents removed; options \`separator\`,
  \`lowercase\` and \`maxLength\`.
- \`wordCount(text)\`: words, user-perceived characters and lines.
- The \`textkit\` command line: \`textkit slugify\` and \`textkit count\` (with \`--json\`).
- A \`node:test\` test suite for both functions.
- A README usage guide for the library and the command line.
`;
}

/** The files each task's scripted agent writes, by task id. */
export function textkitFiles(options: { today: string }): Record<string, DemoFile[]> {
  return {
    "project-setup": [
      { path: "package.json", content: packageJson() },
      { path: "src/index.js", content: `${INDEX_HEADER}\n// Transformations\n\n// Statistics\n` },
      { path: ".gitignore", content: "node_modules/\n" },
    ],
    slugify: [
      { path: "src/slugify.js", content: SLUGIFY },
      {
        path: "src/index.js",
        content: `${INDEX_HEADER}\n// Transformations\nexport { slugify } from "./slugify.js";\n\n// Statistics\n`,
      },
    ],
    "word-count": [
      { path: "src/word-count.js", content: WORD_COUNT },
      {
        path: "src/index.js",
        content: `${INDEX_HEADER}\n// Transformations\n\n// Statistics\nexport { wordCount } from "./word-count.js";\n`,
      },
    ],
    cli: [
      { path: "bin/textkit.js", content: CLI },
      { path: "package.json", content: packageJson({ bin: true }) },
    ],
    tests: [
      { path: "test/slugify.test.js", content: SLUGIFY_TESTS },
      { path: "test/word-count.test.js", content: WORD_COUNT_TESTS },
    ],
    docs: [{ path: "README.md", content: README }],
    changelog: [
      { path: "CHANGELOG.md", content: changelog(options.today) },
      { path: "package.json", content: packageJson({ version: "0.1.0", bin: true }) },
    ],
  };
}
