/**
 * Why git would refuse `name` as a branch name, in plain words, or undefined when it is fine.
 *
 * These are the rules of `git check-ref-format --branch` (git's `check_refname_format` applied to
 * `refs/heads/<name>`, plus its ban on a leading '-' and on "HEAD"), written out here because the
 * core does no I/O; a test checks them against the real git on many generated names. Stricter than
 * git in two places, both names git gives a special meaning inside a repository: "@" (HEAD) and
 * text that is not valid Unicode (git would see replacement characters).
 */
const FORBIDDEN = "~^:?*[\\";

export function branchNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.startsWith("-")) return "it starts with '-'";
  if (name === "HEAD") return '"HEAD" is reserved by git';
  if (name === "@") return '"@" is git\'s shorthand for HEAD';
  if (/\p{Cs}/u.test(name)) return "it contains text that is not valid Unicode";
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return "it contains a control character (such as a tab or line break)";
    if (code === 0x20) return "it contains a space";
    if (FORBIDDEN.includes(name.charAt(i))) return `it contains '${name.charAt(i)}'`;
  }
  if (name.includes("..")) return "it contains '..'";
  if (name.includes("@{")) return "it contains '@{'";
  if (name.startsWith("/")) return "it starts with '/'";
  if (name.endsWith("/")) return "it ends with '/'";
  if (name.includes("//")) return "it contains '//'";
  for (const part of name.split("/")) {
    if (part.startsWith(".")) return `the part "${part}" starts with '.'`;
    if (part.endsWith(".lock")) return `the part "${part}" ends with '.lock'`;
  }
  if (name.endsWith(".")) return "it ends with '.'";
  return undefined;
}
