// The sandbox page: each persona's Slack as csrbot sees it, drawn from the
// emulator's state, with Block Kit rendered by hand (no framework, no CDN).

const ui = {
  as: localStorage.getItem('persona') || 'jane',
  tab: 'dm',
  state: undefined,
  /** What this persona picked/typed in the open modal, by "block/action". */
  modalValues: {},
  modalId: undefined,
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

function toast(text, bad = false) {
  const t = $('#toast');
  t.textContent = text;
  t.className = bad ? 'bad shown' : 'shown';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.className = ''), 4000);
}

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: ui.as, ...body }) });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    toast(data.error || `${path} failed (${r.status})`, true);
    throw new Error(data.error || String(r.status));
  }
  return data;
}

// ---- mrkdwn: escape first, then Slack's formatting; links only http(s) ----

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function mrkdwn(text) {
  const names = ui.state?.names || {};
  const blocks = [];
  let s = String(text).replace(/```([\s\S]*?)```/g, (_m, code) => {
    blocks.push(`<pre>${escapeHtml(code)}</pre>`);
    return `\uE000${blocks.length - 1}\uE000`;
  });
  s = s.replace(/<([^>|]+)(?:\|([^>]+))?>/g, (_m, target, label) => {
    if (target.startsWith('@')) return `\uE001@${names[target.slice(1)] || target.slice(1)}\uE001`;
    if (target.startsWith('#')) return `\uE001#${label || target.slice(1)}\uE001`;
    if (target.startsWith('!')) return `\uE001@${target.slice(1)}\uE001`;
    if (/^https?:\/\//.test(target)) {
      blocks.push(`<a href="${escapeHtml(target)}" target="_blank" rel="noreferrer">${escapeHtml(label || target)}</a>`);
      return `\uE000${blocks.length - 1}\uE000`;
    }
    return label || target;
  });
  s = escapeHtml(s)
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~/g, '$1<s>$2</s>')
    .replace(/^&gt; ?(.*)$/gm, '<blockquote>$1</blockquote>')
    .replace(/\uE001([^\uE001]*)\uE001/g, '<span class="mention">$1</span>')
    .replace(/\n/g, '<br>');
  s = s.replace(/\uE000(\d+)\uE000/g, (_m, i) => blocks[Number(i)]);
  const span = el('span', { class: 'mrkdwn' });
  span.innerHTML = s;
  return span;
}

function textObj(t) {
  if (!t) return '';
  return t.type === 'mrkdwn' ? mrkdwn(t.text) : el('span', {}, t.text);
}

// ---- Block Kit ----

function confirmThen(confirm, go) {
  if (!confirm) return go();
  const box = $('#confirm');
  box.replaceChildren(
    el(
      'div',
      { class: 'dialog', role: 'dialog', 'aria-label': confirm.title?.text || 'Are you sure?' },
      el('h3', {}, confirm.title?.text || 'Are you sure?'),
      el('p', {}, textObj(confirm.text)),
      el(
        'div',
        { class: 'buttons' },
        el('button', { onclick: () => (box.hidden = true) }, confirm.deny?.text || 'Cancel'),
        el(
          'button',
          {
            class: confirm.style === 'danger' ? 'danger' : 'primary',
            onclick: () => {
              box.hidden = true;
              go();
            },
          },
          confirm.confirm?.text || 'Yes',
        ),
      ),
    ),
  );
  box.hidden = false;
}

function click(ctx, block, element, extra = {}) {
  return post('/api/click', { target: ctx.target, actionId: element.action_id, blockId: block.block_id, ...extra }).catch(() => undefined);
}

function optionList(element) {
  const groups = element.option_groups || [{ options: element.options || [] }];
  return groups.flatMap((g) => g.options || []);
}

function renderElement(ctx, block, element, inInput) {
  const key = `${block.block_id}/${element.action_id}`;
  switch (element.type) {
    case 'button':
      return el(
        'button',
        {
          class: `bk-button ${element.style || ''}`,
          'data-action': element.action_id,
          onclick: () => (element.url ? window.open(element.url, '_blank', 'noreferrer') : confirmThen(element.confirm, () => click(ctx, block, element))),
        },
        element.text?.text || '',
      );
    case 'static_select':
    case 'multi_static_select':
    case 'overflow':
    case 'radio_buttons':
    case 'checkboxes': {
      const multi = element.type === 'multi_static_select' || element.type === 'checkboxes';
      const options = optionList(element);
      const initial = multi ? (element.initial_options || []).map((o) => o.value) : [element.initial_option?.value];
      const select = el(
        'select',
        { 'data-action': element.action_id, multiple: multi, 'aria-label': element.placeholder?.text || element.action_id },
        multi ? undefined : el('option', { value: '' }, element.type === 'overflow' ? '⋯' : element.placeholder?.text || 'Choose…'),
        options.map((o) => el('option', { value: o.value, selected: initial.includes(o.value) }, o.text?.text || o.value)),
      );
      if (ctx.kind === 'modal') ui.modalValues[key] ??= multi ? initial : initial[0];
      select.addEventListener('change', () => {
        const values = [...select.selectedOptions].map((o) => o.value).filter((v) => v !== '');
        if (ctx.kind === 'modal' && inInput) return (ui.modalValues[key] = multi ? values : values[0]);
        const go = () => click(ctx, block, element, multi ? { values } : { value: values[0] });
        confirmThen(element.confirm, go);
      });
      return select;
    }
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const attrs = {
        'data-action': element.action_id,
        placeholder: element.placeholder?.text,
        maxlength: element.max_length,
        'aria-label': element.action_id,
      };
      const input = element.multiline ? el('textarea', attrs, element.initial_value || '') : el('input', { ...attrs, value: element.initial_value || '' });
      if (ctx.kind === 'modal') {
        ui.modalValues[key] ??= element.initial_value || '';
        input.addEventListener('input', () => (ui.modalValues[key] = input.value));
      } else {
        input.addEventListener('change', () =>
          post('/api/fill', { target: ctx.target, actionId: element.action_id, blockId: block.block_id, value: input.value }),
        );
      }
      return input;
    }
    case 'image':
      return el('span', { class: 'image-alt' }, `[${element.alt_text || 'image'}]`);
    default:
      return el('span', { class: 'unsupported' }, `[${element.type}]`);
  }
}

function renderBlock(ctx, block) {
  switch (block.type) {
    case 'header':
      return el('h3', { class: 'bk-header' }, block.text?.text || '');
    case 'divider':
      return el('hr');
    case 'section':
      return el(
        'div',
        { class: 'bk-section' },
        el(
          'div',
          { class: 'bk-section-body' },
          block.text ? el('div', {}, textObj(block.text)) : undefined,
          block.fields
            ? el(
                'div',
                { class: 'bk-fields' },
                block.fields.map((f) => el('div', {}, textObj(f))),
              )
            : undefined,
        ),
        block.accessory ? el('div', { class: 'bk-accessory' }, renderElement(ctx, block, block.accessory, false)) : undefined,
      );
    case 'context':
      return el(
        'div',
        { class: 'bk-context' },
        (block.elements || []).map((e) => (e.type === 'image' ? el('span', { class: 'image-alt' }, `[${e.alt_text}]`) : textObj(e))),
      );
    case 'actions':
      return el(
        'div',
        { class: 'bk-actions' },
        (block.elements || []).map((e) => renderElement(ctx, block, e, false)),
      );
    case 'input':
      return el(
        'label',
        { class: 'bk-input' },
        el('span', { class: 'bk-label' }, block.label?.text || '', block.optional ? el('small', {}, ' (optional)') : ''),
        renderElement(ctx, block, block.element, true),
        block.hint ? el('small', {}, block.hint.text) : undefined,
      );
    case 'image':
      return el('div', { class: 'image-alt' }, `[${block.alt_text || 'image'}]`);
    case 'rich_text':
      return el('div', {}, richText(block.elements || []));
    default:
      return el('div', { class: 'unsupported' }, `[${block.type} block]`);
  }
}

/** rich_text: its text runs, without their styles. */
function richText(nodes) {
  return nodes.map((n) => (typeof n.text === 'string' ? n.text : Array.isArray(n.elements) ? richText(n.elements) : '')).join('');
}

function renderBlocks(ctx, blocks) {
  return (blocks || []).map((b) => renderBlock(ctx, b));
}

// ---- conversations ----

function fileLinks(m) {
  return (m.files || []).map((f) =>
    el(
      'div',
      { class: 'file' },
      el('a', { href: `/api/files/${encodeURIComponent(f.id)}`, download: f.name }, `⬇ ${f.name}`),
      /kubeconfig$/.test(f.name) ? el('button', { class: 'try-it', onclick: (ev) => tryIt(f.id, ev.target) }, 'Try it') : undefined,
    ),
  );
}

async function tryIt(fileId, button) {
  const out = el('div', { class: 'whoami' }, 'Asking the cluster (SelfSubjectReview with the delivered certificate and the demo key)…');
  button.after(out);
  try {
    const who = await post('/api/whoami', { fileId });
    out.replaceChildren(
      el('b', {}, 'The cluster says you are: '),
      el('span', { class: 'username' }, who.username),
      ', groups: ',
      el('span', { class: 'groups' }, (who.groups || []).join(', ')),
    );
  } catch (e) {
    out.textContent = `The cluster refused: ${e.message}`;
  }
}

function renderMessage(m, channel) {
  const names = ui.state.names;
  const ctx = { kind: 'message', target: { kind: 'message', channel, ts: m.ts } };
  return el(
    'article',
    { class: 'msg', 'data-ts': m.ts },
    el('div', { class: 'who' }, names[m.user] || m.user || 'csrbot', el('time', {}, new Date(Number(m.ts) * 1000).toLocaleTimeString())),
    m.blocks?.length ? renderBlocks(ctx, m.blocks) : el('div', {}, mrkdwn(m.text || '')),
    fileLinks(m),
  );
}

function renderEphemeral(e) {
  const ctx = { kind: 'ephemeral', target: { kind: 'ephemeral', channel: e.channel, ts: e.ts } };
  return el(
    'article',
    { class: 'msg ephemeral', 'data-ts': e.ts },
    el('div', { class: 'who' }, e.from === 'USLACKBOT' ? 'Slackbot' : 'csrbot', el('small', {}, ' Only visible to you')),
    e.blocks?.length ? renderBlocks(ctx, e.blocks) : el('div', {}, mrkdwn(e.text || '')),
  );
}

function renderConversation(conv) {
  const items = [
    ...conv.messages.map((m) => ({ ts: Number(m.ts), node: () => renderMessage(m, conv.id) })),
    ...conv.ephemerals.map((e) => ({ ts: Number(e.ts), node: () => renderEphemeral(e) })),
  ].sort((a, b) => a.ts - b.ts);
  if (items.length === 0) return [el('p', { class: 'empty' }, 'Nothing here yet.')];
  return items.map((i) => i.node());
}

function renderHome() {
  const home = ui.state.home;
  if (!home) return [el('p', { class: 'empty' }, 'csrbot has not published an App Home for this persona (yet).')];
  return renderBlocks({ kind: 'home', target: { kind: 'view', id: home.id } }, home.blocks);
}

async function renderK8s(view) {
  view.replaceChildren(el('h2', {}, '$ kubectl get csr -o yaml'), el('pre', { id: 'csr-yaml' }, 'loading…'));
  const r = await fetch('/api/csrs');
  const data = await r.json();
  $('#csr-yaml').textContent = r.ok ? data.yaml : data.error;
}

function renderModal() {
  const box = $('#modal');
  const view = ui.state.modals.at(-1);
  if (!view) {
    box.hidden = true;
    ui.modalId = undefined;
    return;
  }
  if (ui.modalId !== view.id + view.hash) {
    ui.modalId = view.id + view.hash;
    ui.modalValues = {};
  } else if (!box.hidden) return; // keep what the user is typing
  const ctx = { kind: 'modal', target: { kind: 'view', id: view.id } };
  const values = () => Object.fromEntries(Object.entries(ui.modalValues));
  box.replaceChildren(
    el(
      'form',
      {
        class: 'dialog modal',
        role: 'dialog',
        'aria-label': view.title?.text || 'modal',
        onsubmit: async (ev) => {
          ev.preventDefault();
          const r = await post('/api/submit', { target: ctx.target, values: values() }).catch(() => undefined);
          if (r?.errors) toast(Object.values(r.errors).join('; '), true);
        },
      },
      el('h3', {}, view.title?.text || ''),
      renderBlocks(ctx, view.blocks),
      el(
        'div',
        { class: 'buttons' },
        el('button', { type: 'button', onclick: () => post('/api/close', { target: ctx.target }) }, view.close?.text || 'Cancel'),
        view.submit ? el('button', { type: 'submit', class: 'primary' }, view.submit.text) : undefined,
      ),
    ),
  );
  box.hidden = false;
}

async function render() {
  const r = await fetch(`/api/state?as=${encodeURIComponent(ui.as)}`);
  if (!r.ok) return toast(`the sandbox answered ${r.status}: ${await r.text()}`, true);
  ui.state = await r.json();
  $('#personas').replaceChildren(
    ...ui.state.personas.map((p) =>
      el(
        'button',
        {
          class: p.name === ui.as ? 'persona current' : 'persona',
          'data-persona': p.name,
          'aria-pressed': p.name === ui.as ? 'true' : 'false',
          onclick: () => switchTo(p.name),
        },
        `${p.realName} `,
        el('small', {}, p.role),
      ),
    ),
  );
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('current', t.dataset.tab === ui.tab);
  $('#composer').hidden = ui.tab !== 'dm';
  const view = $('#view');
  if (ui.tab === 'k8s') await renderK8s(view);
  else {
    const nodes = ui.tab === 'dm' ? renderConversation(ui.state.dm) : ui.tab === 'admin' ? renderConversation(ui.state.admin) : renderHome();
    view.replaceChildren(...nodes);
    view.scrollTop = view.scrollHeight;
  }
  renderModal();
}

function switchTo(name) {
  ui.as = name;
  localStorage.setItem('persona', name);
  ui.modalId = undefined;
  $('#modal').hidden = true;
  void render().then(() => ui.tab === 'home' && post('/api/home', {}));
}

let queued = false;
function refresh() {
  if (queued) return;
  queued = true;
  setTimeout(() => {
    queued = false;
    if (ui.tab !== 'k8s') void render();
  }, 30);
}

// ---- composer ----

$('#say').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('#say-text');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  const r = await post(text.startsWith('/') ? '/api/slash' : '/api/say', { text }).catch(() => undefined);
  if (r && r.ok === false) toast(`${text.split(' ')[0]} failed: ${r.error}`, true);
});

$('#demo-csr').addEventListener('click', async () => {
  const r = await post('/api/demo-csr', {});
  const cmds = $('#demo-commands');
  cmds.textContent = `# run by the sandbox; the key stays in its temp dir\n${r.commands.join('\n')}`;
  cmds.hidden = false;
  $('#csr-text').value = r.csrPem;
});

$('#csr-file').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  if (file) $('#csr-text').value = await file.text();
});

$('#send-csr').addEventListener('click', async () => {
  const content = $('#csr-text').value.trim();
  if (!content) return toast('paste a CSR, upload one, or make a demo one first', true);
  await post('/api/upload', { filename: `${ui.as}.csr`, content: `${content}\n` });
  $('#csr-text').value = '';
  $('#demo-commands').hidden = true;
  $('#csr-box').open = false; // the conversation gets the room now
});

for (const t of document.querySelectorAll('.tab'))
  t.addEventListener('click', () => {
    ui.tab = t.dataset.tab;
    void render().then(() => ui.tab === 'home' && post('/api/home', {}));
  });

if (location.search.includes('token=')) history.replaceState(null, '', '/');
new EventSource('/api/events').addEventListener('message', refresh);
void render();
