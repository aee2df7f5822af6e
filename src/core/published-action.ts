/**
 * Where users' workflows find the task Action: `<owner>/<repo>/action@v<major>`, the `action/`
 * folder of this project's repository at the moving major-version tag that `npm run release`
 * creates. Derived from package.json's `repository` and `version`, so the home and the version are
 * each written once.
 */

export interface PackageIdentity {
  repository?: unknown;
  version?: unknown;
}

/** `owner/repo` of the project's GitHub home, from package.json's `repository` (string or `{ url }`). */
export function projectHome(pkg: PackageIdentity): string {
  const raw =
    typeof pkg.repository === "string"
      ? pkg.repository
      : typeof pkg.repository === "object" && pkg.repository !== null && "url" in pkg.repository
        ? String(pkg.repository.url)
        : "";
  const match =
    /^(?:git\+)?(?:https:\/\/|ssh:\/\/git@|git@)github\.com[/:]([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(
      raw,
    ) ?? /^(?:github:)?([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(raw);
  if (match === null) throw new Error(`package.json's repository is not a GitHub repository: "${raw}"`);
  return `${match[1]}/${match[2]}`;
}

/** The major version tag users' workflows follow: `v1` for 1.4.2, `v0` for 0.3.0. */
export function majorTag(pkg: PackageIdentity): string {
  const match = typeof pkg.version === "string" ? /^(\d+)\.\d+\.\d+(?:[-+].*)?$/.exec(pkg.version) : null;
  if (match === null) throw new Error(`package.json's version is not semantic: "${String(pkg.version)}"`);
  return `v${match[1]}`;
}

/** The `uses:` value of the task workflow's action step. */
export function publishedActionRef(pkg: PackageIdentity): string {
  return `${projectHome(pkg)}/action@${majorTag(pkg)}`;
}
