/**
 * `owner/repo#123` (also `https://github.com/owner/repo/issues/123`): the issue whose sub-issues a
 * local run takes as its tasks. Owner and repository names follow GitHub's rules.
 */
export interface IssueReference {
  owner: string;
  repo: string;
  number: number;
}

const SHORT = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})#([0-9]{1,9})$/;
const URL_FORM =
  /^https:\/\/github\.com\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})\/issues\/([0-9]{1,9})\/?$/;

export function parseIssueReference(text: string): IssueReference | { error: string } {
  const trimmed = text.trim();
  const match = SHORT.exec(trimmed) ?? URL_FORM.exec(trimmed);
  if (match === null || Number(match[3]) < 1) {
    return { error: `expected an issue as owner/repo#123 (or its github.com URL), got "${text}"` };
  }
  return {
    owner: match[1] as string,
    repo: (match[2] as string).replace(/\.git$/, ""),
    number: Number(match[3]),
  };
}
