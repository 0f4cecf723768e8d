import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthenticationV1Api, CertificatesV1Api, KubeConfig, dumpYaml } from '@kubernetes/client-node';
import type { Ephemeral, Message, View } from '@csrbot/slack-emulator';
import { startGuardedServer, type GuardedServer } from './guarded-server.js';
import { PERSONAS, SANDBOX_GROUP, type RunningSandbox } from './runner.js';

const pageDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'page');
const assets: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

/** What the page's buttons send: which persona acts, and on what. */
interface Action {
  user: string;
  text?: string;
  filename?: string;
  content?: string;
  target?: { kind: 'message' | 'ephemeral' | 'view'; channel?: string; ts?: string; id?: string };
  actionId?: string;
  blockId?: string;
  value?: string;
  values?: Record<string, unknown>;
  fileId?: string;
}

class BadRequest extends Error {}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Action> {
  let raw = '';
  for await (const chunk of req) {
    raw += (chunk as Buffer).toString();
    if (raw.length > 1_000_000) throw new BadRequest('request body over 1 MB');
  }
  try {
    return JSON.parse(raw) as Action;
  } catch {
    throw new BadRequest('the body must be JSON');
  }
}

/** The demo key and CSR for a persona, made with openssl in the sandbox's temp dir; the key never leaves it. */
export function makeDemoCsr(dir: string, user: string): { commands: string[]; csrPem: string } {
  const key = join(dir, 'keys', `${user}.key`);
  const csr = join(dir, 'keys', `${user}.csr`);
  const commands = [
    ['openssl', 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key],
    ['openssl', 'req', '-new', '-key', key, '-subj', `/CN=${user}/O=${SANDBOX_GROUP}`, '-out', csr],
  ];
  for (const [cmd, ...args] of commands) execFileSync(cmd!, args, { stdio: 'pipe' });
  return { commands: commands.map((c) => c.map((a) => (a.startsWith('/') && a.includes(' ') ? `'${a}'` : a)).join(' ')), csrPem: readFileSync(csr, 'utf8') };
}

/** Serves the page and its API on 127.0.0.1:port behind the session token. */
export async function startPageServer(sandbox: RunningSandbox, port: number): Promise<GuardedServer> {
  const { emu } = sandbox;
  const persona = (name: string) => {
    if (!PERSONAS.some((p) => p.name === name)) throw new BadRequest(`no persona ${name}; pick one of ${PERSONAS.map((p) => p.name).join(', ')}`);
    return emu.user(name);
  };
  const findTarget = (a: Action): Message | Ephemeral | View => {
    const t = a.target;
    const u = persona(a.user);
    const found =
      t?.kind === 'view'
        ? [...u.openViews(), u.homeView()].find((v) => v?.id === t.id)
        : t?.kind === 'ephemeral'
          ? u.ephemerals().find((e) => e.ts === t.ts && e.channel === t.channel)
          : emu.messagesIn(t?.channel ?? '').find((m) => m.ts === t?.ts);
    if (!found) throw new BadRequest('that message or view is gone; the page will refresh');
    return found;
  };

  const state = (name: string) => {
    const u = persona(name);
    const dm = emu.dmWith(name);
    const visible = (e: Ephemeral) => e.user === u.id && !e.deleted;
    const names: Record<string, string> = Object.fromEntries(PERSONAS.map((p) => [emu.user(p.name).id, p.realName]));
    names[emu.botUserId] = 'csrbot';
    return {
      me: { id: u.id, name },
      personas: PERSONAS.map((p) => ({ ...p, id: emu.user(p.name).id })),
      names,
      dm: { id: dm, messages: emu.messagesIn(dm), ephemerals: emu.ephemeralsIn(dm).filter(visible) },
      admin: { id: emu.adminChannelId, messages: emu.messagesIn(emu.adminChannelId), ephemerals: emu.ephemeralsIn(emu.adminChannelId).filter(visible) },
      home: u.homeView() ?? null,
      modals: u.openViews(),
    };
  };

  const whoAmI = async (a: Action) => {
    const file = emu.file(a.fileId ?? '');
    if (!file?.content || !file.name.endsWith('kubeconfig')) throw new BadRequest('pick a delivered kubeconfig');
    const kc = new KubeConfig();
    kc.loadFromString(file.content.toString('utf8'));
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo ?? {};
  };

  const csrYaml = async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sandbox.cluster.readerKubeconfig);
    const list = await kc.makeApiClient(CertificatesV1Api).listCertificateSigningRequest();
    // As kubectl prints them: each item with its kind (a list response leaves it out), no managedFields.
    const items = list.items.map((item) => {
      delete item.metadata?.managedFields;
      return { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', ...item };
    });
    // Through JSON: dates as kubectl prints them, no undefined fields (which YAML cannot hold).
    return dumpYaml(JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } })));
  };

  const api = async (path: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (req.method === 'GET' && path === '/api/state') return json(res, 200, state(url.searchParams.get('as') ?? 'jane'));
    if (req.method === 'GET' && path === '/api/csrs') return json(res, 200, { yaml: await csrYaml() });
    if (req.method === 'GET' && path.startsWith('/api/files/')) {
      const file = emu.file(path.slice('/api/files/'.length));
      if (!file?.content) return json(res, 404, { error: 'no such file' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"` });
      res.end(file.content);
      return;
    }
    if (req.method !== 'POST') return json(res, 404, { error: `no ${req.method} ${path}` });
    const a = await readBody(req);
    const u = persona(a.user);
    switch (path) {
      case '/api/say':
        return json(res, 200, await u.dm(emu.bot).say(a.text ?? ''));
      case '/api/slash': {
        const m = /^\s*(\/\S+)\s*(.*)$/s.exec(a.text ?? '');
        if (!m) throw new BadRequest('type a command such as /cert help');
        const r = await u.slash(m[1]!, m[2]!);
        return json(res, 200, { ok: r.ok, error: r.error });
      }
      case '/api/upload':
        await u.dm(emu.bot).upload(a.filename || `${a.user}.csr`, a.content ?? '');
        return json(res, 200, { ok: true });
      case '/api/demo-csr':
        return json(res, 200, makeDemoCsr(sandbox.dir, a.user));
      case '/api/click': {
        const r = await u.click(findTarget(a), a.actionId ?? '', { ...(a.blockId ? { blockId: a.blockId } : {}), ...(a.value ? { value: a.value } : {}) });
        return json(res, 200, { acked: r.acked });
      }
      case '/api/fill': {
        const r = await u.fill(findTarget(a), a.actionId ?? '', a.value ?? null, a.blockId ? { blockId: a.blockId } : {});
        return json(res, 200, { dispatched: r.dispatched });
      }
      case '/api/submit': {
        const view = findTarget(a) as View;
        const r = await u.submitView(view, a.values ?? {});
        return json(res, 200, { responseAction: r.responseAction, errors: r.errors });
      }
      case '/api/close':
        await u.closeView(findTarget(a) as View);
        return json(res, 200, { ok: true });
      case '/api/home':
        await u.openHome();
        return json(res, 200, { ok: true });
      case '/api/whoami':
        return json(res, 200, await whoAmI(a));
      default:
        return json(res, 404, { error: `no POST ${path}` });
    }
  };

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    let pending: NodeJS.Timeout | undefined;
    const changed = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        res.write('data: change\n\n');
      }, 50);
    };
    emu.workspace.on('change', changed);
    req.on('close', () => {
      clearTimeout(pending);
      emu.workspace.off('change', changed);
    });
  };

  return startGuardedServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    const asset = assets[path];
    if (req.method === 'GET' && asset) {
      res.writeHead(200, {
        'content-type': `${types[asset.split('.').pop()!]}; charset=utf-8`,
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'self'; style-src 'self'; script-src 'self'",
      });
      res.end(readFileSync(join(pageDir, asset)));
      return;
    }
    if (path === '/api/events') return events(req, res);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    api(path, req, res).catch((e: unknown) => {
      if (res.headersSent) return res.end();
      json(res, e instanceof BadRequest ? 400 : 500, { error: (e as Error).message });
    });
  }, port);
}
