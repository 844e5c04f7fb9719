#!/usr/bin/env node
// Reads the conformance suite's results (its `-o DIR` output: one `server-<scenario>-<time>/`
// directory per scenario run, holding checks.json) for each requirement set and path, compares
// every path with `direct` (the reference server without Dockside), prints the table and the
// regressions, writes summary.json (and the Markdown report with --doc FILE), and exits 1 on any
// regression or when a run is missing or ran no scenario. Used by scripts/conformance.
//
//   node compare.mjs --results DIR --sets 2025-11-25,2026-07-28 --paths direct,http-server,…
//                    [--doc FILE] [--meta KEY=VALUE …]
//
// DIR/<set>/<path>/ holds the suite's results and DIR/<set>/<path>.log its output.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const suiteDir = path.join(here, 'node_modules/@modelcontextprotocol/conformance');

const args = { meta: {} };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = () => process.argv[++i];
  if (a === '--results') args.results = v();
  else if (a === '--sets') args.sets = v().split(',');
  else if (a === '--paths') args.paths = v().split(',');
  else if (a === '--doc') args.doc = v();
  else if (a === '--meta') {
    const [k, ...rest] = v().split('=');
    args.meta[k] = rest.join('=');
  } else {
    console.error(`compare.mjs: unknown argument ${a}`);
    process.exit(2);
  }
}
if (!args.results || !args.sets || !args.paths || args.paths[0] !== 'direct') {
  console.error('usage: node compare.mjs --results DIR --sets S1,S2 --paths direct,P1,… [--doc FILE]');
  process.exit(2);
}

const PATH_TITLES = {
  direct: 'the reference server itself, no Dockside (the baseline)',
  'http-server': 'Dockside HTTP, per-server `/mcp/reference`',
  'http-aggregate': 'Dockside HTTP, aggregate `/mcp` (`--no-prefix`)',
  stdio: 'Dockside stdio (`gateway run --no-prefix`, through `stdio-http.mjs`)'
};

// On the stdio path the HTTP server the suite talks to is tests/conformance/stdio-http.mjs, not
// Dockside: what only an HTTP server can do or see is the relay's, so it is not Dockside's to pass
// or fail there. Those scenarios and checks still run and are reported, outside the comparison.
const NOT_APPLICABLE = {
  stdio: {
    scenarios: {
      'dns-rebinding-protection': 'Host/Origin validation is done by the HTTP server (the relay)',
      'server-session-lifecycle': 'Mcp-Session-Id issue and DELETE are the HTTP server\'s (the relay\'s)',
      'server-sse-polling': 'SSE event ids, retry and Last-Event-ID replay are the HTTP server\'s (the relay\'s)',
      'http-header-validation': 'HTTP headers (Mcp-Method, Mcp-Name…) never reach a stdio server',
      'http-custom-header-server-validation': 'HTTP headers never reach a stdio server'
    },
    checks: {
      'sep-2575-http-server-header-mismatch-400':
        'the MCP-Protocol-Version header, compared with _meta, never reaches a stdio server'
    }
  }
};
const naScenario = (p, s) => NOT_APPLICABLE[p]?.scenarios[s];
const naCheck = (p, id) => NOT_APPLICABLE[p]?.checks[id];

function requirements(set) {
  const file = path.join(suiteDir, 'requirements', `${set}.yaml`);
  const doc = parseYaml(fs.readFileSync(file, 'utf8'));
  const scored = doc.server ?? [];
  const notScored = (doc.not_scored ?? []).filter((e) => e.leg === 'server');
  return { scored, notScored: notScored.map((e) => e.scenario), reasons: Object.fromEntries(notScored.map((e) => [e.scenario, e.reason])) };
}

/** scenario → {ran, error?, checks: [{key, id, status, errorMessage}]} for one run. */
function readRun(dir, scenarios) {
  const runs = {};
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  for (const scenario of scenarios) {
    // `server-<scenario>-<ISO time with : and . as ->`; the longest scenario name wins
    // (`tools-call-error` must not take `tools-call-error-…` of another scenario).
    const re = new RegExp(`^server-${scenario.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z$`);
    const found = entries.filter((e) => re.test(e)).sort();
    if (found.length === 0) {
      runs[scenario] = { ran: false, error: 'the suite did not run it', checks: [] };
      continue;
    }
    const file = path.join(dir, found[found.length - 1], 'checks.json');
    if (!fs.existsSync(file)) {
      runs[scenario] = { ran: false, error: 'the suite failed to run it (no checks.json; see the suite log)', checks: [] };
      continue;
    }
    const seen = {};
    // Keyed by id, numbered when an id repeats (`id#2`…) within the scenario.
    const all = JSON.parse(fs.readFileSync(file, 'utf8')).map((c) => {
      seen[c.id] = (seen[c.id] ?? 0) + 1;
      const message = c.errorMessage ?? (c.status === 'SUCCESS' ? undefined : c.details?.message ?? c.description);
      return { key: seen[c.id] > 1 ? `${c.id}#${seen[c.id]}` : c.id, id: c.id, status: c.status, errorMessage: message };
    });
    // Only SUCCESS and FAILURE count; INFO and WARNING are kept to say what a lost check became.
    const checks = all.filter((c) => c.status === 'SUCCESS' || c.status === 'FAILURE');
    runs[scenario] = { ran: true, checks, all };
  }
  return runs;
}

const passed = (run) => run.ran && run.checks.every((c) => c.status === 'SUCCESS');
const oneLine = (text, max = 300) => {
  const t = String(text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
};

const harnessErrors = [];
const summary = { sets: {}, meta: args.meta };
for (const set of args.sets) {
  const req = requirements(set);
  const all = [...req.scored, ...req.notScored];
  const scoredSet = new Set(req.scored);
  const runs = {};
  summary.sets[set] = { paths: {} };
  for (const p of args.paths) {
    const dir = path.join(args.results, set, p);
    const logFile = `${dir}.log`;
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    if (!log.includes('=== SUMMARY ===')) {
      harnessErrors.push(`${set} ${p}: the suite did not finish (no summary in ${logFile})`);
    }
    runs[p] = readRun(dir, all);
    const ranCount = Object.values(runs[p]).filter((r) => r.ran).length;
    if (ranCount === 0) harnessErrors.push(`${set} ${p}: the suite ran no scenario (results in ${dir})`);

    const counted = (s) => !naScenario(p, s);
    const countedChecks = (s) => runs[p][s].checks.filter((c) => !naCheck(p, c.id));
    const tally = (names) => {
      const ns = names.filter(counted);
      const checks = ns.flatMap(countedChecks);
      return {
        scenariosPassed: ns.filter((s) => runs[p][s].ran && countedChecks(s).every((c) => c.status === 'SUCCESS')).length,
        scenarios: ns.length,
        checksPassed: checks.filter((c) => c.status === 'SUCCESS').length,
        checks: checks.length
      };
    };
    summary.sets[set].paths[p] = {
      scored: tally(req.scored),
      notScored: tally(req.notScored),
      scenarios: Object.fromEntries(all.map((s) => [s, {
        scored: scoredSet.has(s),
        notApplicable: naScenario(p, s),
        ran: runs[p][s].ran,
        error: runs[p][s].error,
        passed: passed(runs[p][s]),
        checks: runs[p][s].checks
      }]))
    };
  }

  // Regressions: every scenario and every check that passes directly must pass on each path.
  for (const p of args.paths.slice(1)) {
    const regressions = [];
    for (const s of all) {
      if (naScenario(p, s)) continue;
      const base = runs.direct[s];
      const run = runs[p][s];
      if (!base.ran) continue;
      const lost = [];
      const byKey = new Map((run.all ?? []).map((c) => [c.key, c]));
      for (const c of base.checks) {
        if (c.status !== 'SUCCESS' || naCheck(p, c.id)) continue;
        const got = byKey.get(c.key);
        if (!got) lost.push({ check: c.key, got: run.ran ? 'missing' : 'not run', errorMessage: run.error });
        else if (got.status !== 'SUCCESS') lost.push({ check: c.key, got: got.status, errorMessage: got.errorMessage });
      }
      const basePassed = base.checks.filter((c) => !naCheck(p, c.id)).every((c) => c.status === 'SUCCESS');
      const runPassed = run.ran && run.checks.filter((c) => !naCheck(p, c.id)).every((c) => c.status === 'SUCCESS');
      const scenarioLost = basePassed && !runPassed;
      if (scenarioLost || lost.length > 0) {
        // A scenario that fails on the path with no lost check (a new failing check) is shown
        // with the failing checks themselves.
        const extra = scenarioLost && lost.length === 0
          ? run.checks.filter((c) => c.status === 'FAILURE').map((c) => ({ check: c.key, got: 'FAILURE (not a check directly)', errorMessage: c.errorMessage }))
          : [];
        regressions.push({ scenario: s, scored: scoredSet.has(s), scenarioLost, checks: [...lost, ...extra], error: run.error });
      }
    }
    summary.sets[set].paths[p].regressions = regressions;
  }
}

// ---- Report ----
const rows = [];
for (const set of args.sets) {
  for (const p of args.paths) {
    const r = summary.sets[set].paths[p];
    rows.push({
      set,
      path: p,
      scored: `${r.scored.scenariosPassed}/${r.scored.scenarios}`,
      checks: `${r.scored.checksPassed}/${r.scored.checks}`,
      notScored: `${r.notScored.scenariosPassed}/${r.notScored.scenarios}`,
      regressions: p === 'direct' ? '—' : String(r.regressions.length)
    });
  }
}
const header = ['requirement set', 'path', 'scored scenarios passed', 'scored checks passed', 'not-scored scenarios passed', 'scenarios regressing vs direct'];
const cells = rows.map((r) => [r.set, r.path, r.scored, r.checks, r.notScored, r.regressions]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
cells.forEach((c) => console.log(line(c)));

let total = 0;
const regressionText = [];
for (const set of args.sets) {
  for (const p of args.paths.slice(1)) {
    const regs = summary.sets[set].paths[p].regressions;
    total += regs.length;
    if (regs.length === 0) continue;
    regressionText.push({ set, p, regs });
  }
}
if (total > 0) {
  console.log(`\n${total} scenario run(s) regress vs direct (scenario, then each check that passed directly → what the path got):`);
  for (const { set, p, regs } of regressionText) {
    console.log(`\n${set} · ${p}:`);
    for (const r of regs) {
      console.log(`  ${r.scenario}${r.scored ? '' : ' (not scored)'}${r.error ? `: ${r.error}` : ''}`);
      for (const c of r.checks) console.log(`    - ${c.check}: ${c.got}${c.errorMessage ? ` — ${oneLine(c.errorMessage, 240)}` : ''}`);
    }
  }
}
for (const e of harnessErrors) console.log(`\nharness error: ${e}`);

fs.writeFileSync(path.join(args.results, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');

if (args.doc) {
  const md = [];
  const m = args.meta;
  md.push('# MCP conformance through Dockside');
  md.push('');
  md.push('<!-- Generated by `scripts/conformance --write-doc`; do not edit by hand. -->');
  md.push('');
  md.push('*Generated by `scripts/conformance --write-doc` (edit `tests/conformance/compare.mjs` to change this page); `scripts/conformance` alone runs the same comparison without touching this file.*');
  md.push('');
  md.push('## What it measures');
  md.push('');
  md.push(`The official MCP conformance suite (\`@modelcontextprotocol/conformance\` ${m.suite ?? ''}) runs its *server* scenarios, for the requirement sets of both protocol revisions (${args.sets.join(' and ')}: \`conformance server --requirements REV\`), against the suite's own reference server (\`tests/conformance/reference-server\`, vendored from the suite's repository), first directly and then through Dockside, as a remote server named \`reference\` in \`managed\` mode:`);
  md.push('');
  for (const p of args.paths) md.push(`- **${p}**: ${PATH_TITLES[p] ?? p}`);
  md.push('');
  md.push('Dockside must not make a server less conformant: every scenario and every check that passes directly must pass through each path, and `scripts/conformance` (run by `scripts/test`) exits 1 on any regression. Scenarios the reference server itself fails are reported but cannot regress. *Scored* scenarios are the revision\'s requirement set; *not scored* ones (extensions, pending, added after the release) run and count for regressions too, but not in the scored columns. Checks are the suite\'s SUCCESS/FAILURE checks (INFO and WARNING are not counted). The stdio path\'s counts leave out the scenarios and checks that are not applicable there (last section).');
  md.push('');
  md.push('## How to run');
  md.push('');
  md.push('```sh');
  md.push('cargo build -p dockside-cli --bin dockside   # scripts/conformance runs ${CARGO_TARGET_DIR:-target}/debug/dockside');
  md.push('scripts/conformance               # compare; results and logs in target/conformance/');
  md.push('scripts/conformance --write-doc   # the same, then regenerate this page');
  md.push('```');
  md.push('');
  md.push('## Results');
  md.push('');
  if (m.date || m.commit) md.push(`Measured ${m.date ? `on ${m.date}` : ''}${m.commit ? ` at commit ${m.commit}` : ''}${m.node ? ` (Node.js ${m.node})` : ''}.`);
  md.push('');
  md.push(`| ${header.join(' | ')} |`);
  md.push(`| ${header.map(() => '---').join(' | ')} |`);
  for (const c of cells) md.push(`| ${c.join(' | ')} |`);
  md.push('');
  md.push('## Regressions');
  md.push('');
  if (total === 0) md.push('None: everything that passes directly passes through every path.');
  for (const { set, p, regs } of regressionText) {
    md.push(`### ${set} · ${p} (${regs.length})`);
    md.push('');
    for (const r of regs) {
      const checks = r.checks.map((c) => `\`${c.check}\` (${c.got}${c.errorMessage ? `: ${oneLine(c.errorMessage, 160).replace(/\|/g, '\\|')}` : ''})`);
      md.push(`- \`${r.scenario}\`${r.scored ? '' : ' (not scored)'}${r.error ? ` — ${r.error}` : ''}${checks.length ? `: ${checks.join('; ')}` : ''}`);
    }
    md.push('');
  }
  md.push('## Not applicable on the stdio path');
  md.push('');
  md.push('On the stdio path the HTTP server the suite talks to is `tests/conformance/stdio-http.mjs`, a relay that carries JSON-RPC lines to and from `dockside gateway run`. What only an HTTP server can do or see belongs to the relay there, so these run but are left out of that path\'s counts and comparison:');
  md.push('');
  for (const [s, why] of Object.entries(NOT_APPLICABLE.stdio.scenarios)) md.push(`- scenario \`${s}\`: ${why}`);
  for (const [c, why] of Object.entries(NOT_APPLICABLE.stdio.checks)) md.push(`- check \`${c}\`: ${why}`);
  md.push('');
  fs.writeFileSync(args.doc, md.join('\n'));
  console.log(`\nwrote ${args.doc}`);
}

if (harnessErrors.length > 0) process.exit(1);
if (total > 0) {
  console.log(`\nFAILED: ${total} scenario run(s) regress through Dockside`);
  process.exit(1);
}
console.log('\nno regression: everything that passes directly passes through Dockside');
