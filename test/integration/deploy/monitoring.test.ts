// deploy/monitoring against the real thing:
// - the API server accepts the PodMonitor and PrometheusRule (their CRDs,
//   test/fixtures/crds, are installed into the test cluster first: a CRD-based
//   object is validated by its schema, never skipped);
// - every alert expression and dashboard query parses with Prometheus's own
//   PromQL parser (test/support/promql), and reads only metrics and labels
//   that csrbot really serves: the names come from a /metrics scrape of the
//   bot after a flow that produced every labelled series.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadYaml } from '@kubernetes/client-node';
import { applyManifest, kubeconfigPaths, repoRoot } from '@csrbot/control-plane';
import { checkPromql, type PromqlSelector } from '../../support/promql/promql.js';
import { WAIT, hasAction, janesKeyAndCsr, startWorld, waitForCard, type World } from '../e2e/world.js';
import { kubectl, kubectlOk, kustomize, serverDryRun, type K8sObject } from './kubectl.js';

const monitoring = path.join(repoRoot, 'deploy', 'monitoring');
const crds = path.join(repoRoot, 'test', 'fixtures', 'crds');

/** Labels Prometheus adds to every scraped series (PodMonitor targets), beside csrbot's own. */
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'container', 'endpoint', 'service']);
/** Series Prometheus makes itself, not csrbot: `up` per target. */
const PROMETHEUS_SERIES = new Set(['up']);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: string | { query: string } }> };
}

/** Sample names csrbot serves, each with the label names seen on it (histograms' _bucket, _sum, _count included). */
function seriesOf(exposition: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    const labels = out.get(name) ?? new Set<string>();
    const braces = /^[^{ ]*\{(.*)\}/.exec(line)?.[1] ?? '';
    for (const m of braces.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(m[1]!);
    out.set(name, labels);
  }
  return out;
}

/** Grafana's interval variables are not PromQL; the parser gets a duration in their place. */
const withoutGrafanaVariables = (expr: string) => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

/** What is wrong with these selectors, given what csrbot serves; empty when nothing is. */
function problemsWith(where: string, selectors: PromqlSelector[], served: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  if (selectors.length === 0) problems.push(`${where}: selects no metric`);
  for (const s of selectors) {
    if (!s.metric) {
      problems.push(`${where}: a selector without a metric name cannot be checked`);
      continue;
    }
    const known = served.get(s.metric) ?? (PROMETHEUS_SERIES.has(s.metric) ? new Set<string>() : undefined);
    if (!known) {
      problems.push(`${where}: ${s.metric} is not a metric csrbot serves`);
      continue;
    }
    for (const l of s.labels) if (!known.has(l) && !TARGET_LABELS.has(l)) problems.push(`${where}: ${s.metric} has no label ${l}`);
  }
  return problems;
}

let admin: string;
let w: World | undefined;
let served: Map<string, Set<string>>;

beforeAll(async () => {
  admin = kubeconfigPaths().admin;
  await applyManifest(admin, path.join(repoRoot, 'deploy', 'rbac', 'namespace.yaml'));
  // The Prometheus Operator's CRDs, for real: a dry run of a PodMonitor needs its kind to exist.
  // A cluster that has the operator's own (KUBECONFIG_TEST) keeps them, and validates against them.
  for (const file of readdirSync(crds)) {
    const crd = loadYaml(readFileSync(path.join(crds, file), 'utf8')) as K8sObject;
    const existing = kubectl(['get', 'crd', crd.metadata.name, '-o', 'json'], { kubeconfig: admin });
    const theirs = existing.status === 0 && (JSON.parse(existing.stdout) as K8sObject).metadata.labels?.['app.kubernetes.io/part-of'] !== 'csrbot-tests';
    if (!theirs) kubectlOk(['apply', '--server-side', '-f', path.join(crds, file)], { kubeconfig: admin });
    kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`], { kubeconfig: admin });
  }

  // csrbot as main.ts wires it, after a flow that gives every labelled series
  // a sample: an intake refusal, a Slack call refused for its token, a job
  // that fails once and is retried, a request waiting for a decision.
  w = await startWorld();
  const { keyPem, csrPem } = janesKeyAndCsr(w);
  await w.jane.dm(w.emu.bot).say(keyPem);
  await w.jane.waitForDm((m) => JSON.stringify(m).includes('PRIVATE KEY'), WAIT);
  await w.jane.dm(w.emu.bot).upload('jane.csr', csrPem);
  const summary = await w.jane.waitForDm(hasAction('csrbot_submit_request'), WAIT);
  w.emu.faults.next('chat.postMessage', { error: 'invalid_auth' });
  await w.jane.click(summary, 'csrbot_submit_request');
  await waitForCard(w, hasAction('csrbot_approve'));
  await w.jane.waitForDm((m) => m.text.includes('was sent to the admins'), WAIT);
  served = seriesOf(await (await fetch(`http://127.0.0.1:${w.ports[0]}/metrics`)).text());
}, 120_000);

afterAll(async () => {
  await w?.stop();
});

describe('deploy/monitoring: the objects, validated by the API server', () => {
  it('kubectl apply -k deploy/monitoring --dry-run=server: accepted by the CRDs, every field known, no warning', () => {
    const built = kustomize(monitoring);
    const { objects, warnings, result } = serverDryRun(monitoring, admin);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(warnings).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(
      built.map((o) => `${o.kind}/csrbot/${o.metadata.name}`).sort(),
    );
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'PodMonitor', 'PrometheusRule']);
  });

  it('the PrometheusRule CRD really validates: a rule without expr, or a "for" that is not a duration, is refused', () => {
    const rule = (r: string) =>
      kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], {
        kubeconfig: admin,
        input: `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: broken, namespace: csrbot}\nspec:\n  groups:\n    - name: g\n      rules:\n        - ${r}\n`,
      });
    expect(rule('{alert: A, expr: up == 0, for: 5m}').status).toBe(0);
    const noExpr = rule('{alert: A, for: 5m}');
    expect(noExpr.status).not.toBe(0);
    expect(noExpr.stderr).toMatch(/spec\.groups\[0\]\.rules\[0\]\.expr: Required value/);
    const badFor = rule('{alert: A, expr: up == 0, for: 5 minutes}');
    expect(badFor.status).not.toBe(0);
    expect(badFor.stderr).toMatch(/spec\.groups\[0\]\.rules\[0\]\.for: Invalid value/);
    const typo = rule('{alert: A, expr: up == 0, annotation: {summary: x}}');
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toContain('.spec.groups[name="g"].rules[0].annotation: field not declared in schema');
  });

  it('the PodMonitor scrapes the ops port of the pods deploy/ runs, under job="csrbot" as the rules expect', () => {
    const pm = kustomize(monitoring).find((o) => o.kind === 'PodMonitor')!.spec as {
      jobLabel: string;
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: Array<{ port: string; path: string }>;
    };
    const deployment = kustomize(path.join(repoRoot, 'deploy')).find((o) => o.kind === 'Deployment')!.spec as {
      template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string }> }> } };
    };
    const podLabels = deployment.template.metadata.labels;
    for (const [k, v] of Object.entries(pm.selector.matchLabels)) expect(podLabels[k]).toBe(v);
    expect(podLabels[pm.jobLabel]).toBe('csrbot');
    expect(pm.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'ops', path: '/metrics' })]);
    expect(deployment.template.spec.containers[0]!.ports.map((p) => p.name)).toContain('ops');
  });
});

describe('deploy/monitoring: alerts and dashboard against the metrics csrbot serves', () => {
  it('the scrape has every csrbot series the flow produced, labels included', () => {
    for (const name of [
      'csrbot_job_failures_total',
      'csrbot_slack_api_errors_total',
      'csrbot_slack_auth_failures_total',
      'csrbot_intake_refusals_total',
      'csrbot_queue_jobs',
      'csrbot_oldest_open_request_age_seconds',
      'csrbot_readiness_check',
    ]) {
      expect([name, served.has(name)]).toEqual([name, true]);
    }
    expect([...served.get('csrbot_job_failures_total')!].sort()).toEqual(['code', 'final', 'job_name']);
  });

  it('every alert has a severity, a summary and a description, and the four the issue asks for are there', () => {
    const rule = loadYaml(readFileSync(path.join(monitoring, 'prometheusrule.yaml'), 'utf8')) as K8sObject & { spec: { groups: Array<{ rules: Rule[] }> } };
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect([r.alert, r.labels?.severity]).toEqual([r.alert, expect.stringMatching(/^(critical|warning)$/)]);
      expect([r.alert, r.annotations?.summary, r.annotations?.description]).toEqual([r.alert, expect.any(String), expect.any(String)]);
      // Annotations may only template labels the expression can carry.
      for (const m of JSON.stringify(r.annotations).matchAll(/\$labels\.([a-zA-Z_]+)/g)) expect([r.alert, r.expr.includes(m[1]!)]).toEqual([r.alert, true]);
    }
    expect(names).toEqual(
      expect.arrayContaining(['CsrbotRequestWaitingForDecision', 'CsrbotSignerNotIssuing', 'CsrbotSlackAuthFailing', 'CsrbotRedisNotReady']),
    );
  });

  it('every alert expression parses with the PromQL parser and reads only metrics and labels csrbot serves', () => {
    const rule = loadYaml(readFileSync(path.join(monitoring, 'prometheusrule.yaml'), 'utf8')) as { spec: { groups: Array<{ rules: Rule[] }> } };
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    const results = checkPromql(rules.map((r) => r.expr));
    const problems = results.flatMap((res, i) => {
      const where = rules[i]!.alert ?? rules[i]!.record ?? `rule ${i}`;
      return res.error !== undefined ? [`${where}: ${res.error}`] : problemsWith(where, res.selectors, served);
    });
    expect(problems).toEqual([]);
  });

  it('the checker is live: a misspelt metric, a label csrbot does not set and a syntax error are all caught', () => {
    const [typo, label, syntax] = checkPromql(['csrbot_open_request{state="pending"}', 'csrbot_open_requests{phase="pending"}', 'max(csrbot_open_requests']);
    expect(problemsWith('typo', typo!.selectors!, served)).toEqual(['typo: csrbot_open_request is not a metric csrbot serves']);
    expect(problemsWith('label', label!.selectors!, served)).toEqual(['label: csrbot_open_requests has no label phase']);
    expect(syntax!.error).toMatch(/unclosed left parenthesis/);
  });

  it('the dashboard is valid JSON, every query parses and reads only what csrbot serves, and the ConfigMap carries it unchanged', () => {
    const text = readFileSync(path.join(monitoring, 'dashboard.json'), 'utf8');
    const dashboard = JSON.parse(text) as Dashboard;
    expect(dashboard.uid).toBe('csrbot');
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const queries: Array<{ where: string; expr: string }> = [];
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        expect([p.title, t.datasource?.uid]).toEqual([p.title, '${datasource}']);
        queries.push({ where: `panel "${p.title}" ${t.refId}`, expr: withoutGrafanaVariables(t.expr) });
      }
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const m = /^label_values\((.+),\s*([a-zA-Z_]+)\)$/.exec(q);
      expect([v.name, m !== null]).toEqual([v.name, true]);
      queries.push({ where: `variable $${v.name}`, expr: `${m![1]!}{${m![2]!}!=""}` });
    }
    expect(queries.length).toBeGreaterThan(15);
    const results = checkPromql(queries.map((q) => q.expr));
    const problems = results.flatMap((res, i) =>
      res.error !== undefined ? [`${queries[i]!.where}: ${res.error}`] : problemsWith(queries[i]!.where, res.selectors, served),
    );
    expect(problems).toEqual([]);

    const cm = kustomize(monitoring).find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    expect((cm.data as Record<string, string>)['csrbot.json']).toBe(text);
  });
});
