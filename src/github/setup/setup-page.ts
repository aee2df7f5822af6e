import type { AppManifest } from "./app-manifest.js";

/**
 * The setup mode's HTML: the page that posts the manifest to GitHub, and the one-message pages
 * of the callback. Every interpolated value goes through `escapeHtml` (the Host header, GitHub's
 * messages and the manifest are all text from outside).
 */

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code{background:#f3f3f3;padding:0 .2em}fieldset{border:1px solid #ccc;margin:1rem 0}.note{color:#7a4b00}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

export function renderSetupPage(args: {
  manifest: AppManifest;
  state: string;
  /** GitHub's web root, e.g. https://github.com (or the GHE host). */
  githubUrl: string;
  /** True when GitHub could not reach the webhook URL (a loopback address). */
  webhookUnreachable: boolean;
  envPath: string;
}): string {
  const { manifest } = args;
  const personal = `${args.githubUrl}/settings/apps/new?state=${encodeURIComponent(args.state)}`;
  const orgBase = `${args.githubUrl}/organizations/`;
  const events = manifest.default_events.map(escapeHtml).join(", ");
  const permissions = Object.entries(manifest.default_permissions)
    .map(([name, access]) => `${escapeHtml(name)}: ${escapeHtml(access)}`)
    .join(", ");
  const unreachable = args.webhookUnreachable
    ? `<p class="note">GitHub cannot deliver webhooks to <code>${escapeHtml(manifest.hook_attributes.url)}</code> (this machine).
Set <code>ORCHESTRATOR_PUBLIC_URL</code> to a public address that forwards to this server (a tunnel), or
<code>WEBHOOK_PROXY_URL</code> to a smee.io channel you forward with <code>npx smee-client</code>, then restart and
reload this page. You can also change the webhook URL on the App's settings page later.</p>`
    : "";
  return page(
    "Register the orchestrator's GitHub App",
    `<p>No GitHub App is configured for this server yet. The button below registers one on GitHub from
this repository's <code>app.yml</code>; GitHub shows you every setting before anything is created.</p>
<ol>
<li>GitHub creates the App <strong>${escapeHtml(manifest.name ?? "(you name it)")}</strong> owned by you or your
organization, with these permissions: ${permissions}; and these events: ${events}.</li>
<li>This server receives the App's id, private key and webhook secret, saves them to
<code>${escapeHtml(args.envPath)}</code> (readable by you only), and starts running as the App — no restart.</li>
<li>GitHub then asks where to install the App: pick the repositories the orchestrator should work in.</li>
</ol>
<p>Webhooks will be sent to <code>${escapeHtml(manifest.hook_attributes.url)}</code>.</p>
${unreachable}
<form method="post" action="${escapeHtml(personal)}" id="register"
 data-personal="${escapeHtml(personal)}" data-org-base="${escapeHtml(orgBase)}" data-state="${escapeHtml(args.state)}">
<fieldset><legend>Owner of the App</legend>
<label><input type="radio" name="owner" value="personal" checked> my personal account</label><br>
<label><input type="radio" name="owner" value="organization"> an organization:</label>
<input type="text" name="organization" pattern="[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})" aria-label="organization name">
</fieldset>
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register the App on GitHub</button>
</form>
<script>
// Only the form's target changes with the owner; the manifest and state stay as rendered.
const form = document.getElementById("register");
form.addEventListener("submit", (event) => {
  const choice = form.elements.owner.value;
  const org = form.elements.organization.value.trim();
  if (choice !== "organization") { form.action = form.dataset.personal; return; }
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(org)) { event.preventDefault(); alert("Enter the organization's name."); return; }
  form.action = form.dataset.orgBase + encodeURIComponent(org) + "/settings/apps/new?state=" + encodeURIComponent(form.dataset.state);
});
</script>`,
  );
}

export function renderMessagePage(title: string, paragraphs: readonly string[]): string {
  return page(title, paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join("\n"));
}
