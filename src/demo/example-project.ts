import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * The starting point of the demo repository: textkit before any task ran — a README and a
 * license, nothing else. The tasks (tasks/tasks.json) build the library from here.
 */
export const EXAMPLE_PROJECT_FILES: Readonly<Record<string, string>> = {
  "README.md": "# textkit\n\nSmall, dependency-free string utilities for Node.js.\n",
  LICENSE: `MIT License

Copyright (c) textkit contributors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`,
};

export async function writeExampleProject(dir: string): Promise<void> {
  for (const [path, content] of Object.entries(EXAMPLE_PROJECT_FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}
