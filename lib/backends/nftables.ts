/**
 * nftables backend: table `inet autoban` with interval sets banned4/banned6 and one base chain per hook that
 * drops sources found in them. The table is autoban's alone; nothing outside it is ever touched.
 */
import { BackendError, commandError } from './backend-error';
import { nftHooksFor, validateChains } from './chains';
import { runChecked, runCommand } from './command';
import { canonicalKernelEntry, sortKeys, collapseTargets, diffTargets, validateTargets, type Family } from './targets';
import type { BackendOptions, BackendStatus, FirewallBackend, Runner } from './types';

export const NFT_TABLE = 'autoban';
export const NFT_SET: Record<Family, string> = { 4: 'banned4', 6: 'banned6' };
const SET_TYPE: Record<Family, string> = { 4: 'ipv4_addr', 6: 'ipv6_addr' };
const PROTO: Record<Family, string> = { 4: 'ip', 6: 'ip6' };
/** Before the usual filter chains (priority 0, where iptables-nft and most rulesets live). */
export const NFT_PRIORITY = -10;
/** nft reads long element lists fine, but shorter lines keep error messages readable. */
const ELEMENTS_PER_LINE = 1000;

export type NftHook = 'input' | 'forward';

export interface NftState {
  exists: boolean;
  sets: Record<string, { type: string; flags: string[]; elems: string[] }>;
  chains: Record<string, { type?: string; hook?: string; prio?: number; policy?: string }>;
  rules: Record<string, unknown[][]>;
}

type Json = Record<string, unknown>;

/** Canonical key of one element of `nft -j` output: "192.0.2.7", {prefix}, {range} or {elem:{val}}. */
export function nftElementKey(elem: unknown): string {
  if (typeof elem === 'string') return canonicalKernelEntry(elem);
  const o = (elem ?? {}) as Json;
  if (o.elem && typeof o.elem === 'object') return nftElementKey((o.elem as Json).val);
  if (o.prefix && typeof o.prefix === 'object') {
    const p = o.prefix as Json;
    return canonicalKernelEntry(`${String(p.addr)}/${String(p.len)}`);
  }
  if (Array.isArray(o.range)) return `${String(o.range[0])}-${String(o.range[1])}`;
  return JSON.stringify(elem);
}

/** Parses `nft -j list table inet autoban` output. */
export function parseNftTable(json: string): NftState {
  const state: NftState = { exists: false, sets: {}, chains: {}, rules: {} };
  let doc: { nftables?: Json[] };
  try {
    doc = JSON.parse(json) as { nftables?: Json[] };
  } catch {
    throw new BackendError('nft: could not parse `nft -j list table inet autoban` output');
  }
  for (const item of doc.nftables ?? []) {
    if (item.table) state.exists = true;
    if (item.set) {
      const s = item.set as Json;
      const elems = Array.isArray(s.elem) ? s.elem.map(nftElementKey) : [];
      state.sets[String(s.name)] = {
        type: String(s.type),
        flags: Array.isArray(s.flags) ? s.flags.map(String) : [],
        elems,
      };
    }
    if (item.chain) {
      const c = item.chain as Json;
      state.chains[String(c.name)] = {
        type: c.type as string | undefined,
        hook: c.hook as string | undefined,
        prio: c.prio as number | undefined,
        policy: c.policy as string | undefined,
      };
      state.rules[String(c.name)] ??= [];
    }
    if (item.rule) {
      const r = item.rule as Json;
      (state.rules[String(r.chain)] ??= []).push(Array.isArray(r.expr) ? r.expr : []);
    }
  }
  return state;
}

/** True for the expression list of `<proto> saddr @<set> drop`. */
function isDropRule(expr: unknown[], family: Family): boolean {
  if (expr.length !== 2) return false;
  const match = (expr[0] as Json | undefined)?.match as Json | undefined;
  const payload = (match?.left as Json | undefined)?.payload as Json | undefined;
  return (
    match?.op === '==' &&
    payload?.protocol === PROTO[family] &&
    payload?.field === 'saddr' &&
    match.right === `@${NFT_SET[family]}` &&
    (expr[1] as Json | undefined) !== undefined &&
    'drop' in (expr[1] as Json)
  );
}

/** Everything about the table's shape (not its addresses) that differs from what autoban builds. */
export function nftStructureProblems(state: NftState, hooks: readonly NftHook[]): string[] {
  if (!state.exists) return ['table inet autoban is missing'];
  const problems: string[] = [];
  for (const fam of [4, 6] as Family[]) {
    const s = state.sets[NFT_SET[fam]];
    if (!s) problems.push(`set ${NFT_SET[fam]} is missing`);
    else if (s.type !== SET_TYPE[fam] || !s.flags.includes('interval')) problems.push(`set ${NFT_SET[fam]} has the wrong type`);
  }
  for (const name of Object.keys(state.sets)) if (!Object.values(NFT_SET).includes(name)) problems.push(`unexpected set ${name}`);
  for (const hook of hooks) {
    const c = state.chains[hook];
    if (!c) {
      problems.push(`chain ${hook} is missing`);
      continue;
    }
    if (c.type !== 'filter' || c.hook !== hook || c.prio !== NFT_PRIORITY || c.policy !== 'accept') {
      problems.push(`chain ${hook} has the wrong hook or priority`);
    }
    const rules = state.rules[hook] ?? [];
    if (rules.length !== 2 || !isDropRule(rules[0] ?? [], 4) || !isDropRule(rules[1] ?? [], 6)) {
      problems.push(`chain ${hook} does not hold exactly autoban's two drop rules`);
    }
  }
  for (const name of Object.keys(state.chains)) if (!hooks.includes(name as NftHook)) problems.push(`unexpected chain ${name}`);
  return problems;
}

function elementLines(verb: 'add', fam: Family, keys: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < keys.length; i += ELEMENTS_PER_LINE) {
    lines.push(`${verb} element inet ${NFT_TABLE} ${NFT_SET[fam]} { ${keys.slice(i, i + ELEMENTS_PER_LINE).join(', ')} }`);
  }
  return lines;
}

/** Script that (re)creates the whole table atomically with exactly `keys` in it. */
export function buildNftRebuildScript(hooks: readonly NftHook[], keys: Record<Family, readonly string[]>): string {
  const lines = [
    // add+delete: delete works whether or not the table existed, all in one transaction.
    `add table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    `  set ${NFT_SET[4]} { type ${SET_TYPE[4]}; flags interval; }`,
    `  set ${NFT_SET[6]} { type ${SET_TYPE[6]}; flags interval; }`,
  ];
  for (const hook of hooks) {
    lines.push(
      `  chain ${hook} {`,
      `    type filter hook ${hook} priority ${NFT_PRIORITY}; policy accept;`,
      `    ${PROTO[4]} saddr @${NFT_SET[4]} drop`,
      `    ${PROTO[6]} saddr @${NFT_SET[6]} drop`,
      '  }',
    );
  }
  lines.push('}', ...elementLines('add', 4, keys[4]), ...elementLines('add', 6, keys[6]));
  return `${lines.join('\n')}\n`;
}

/**
 * Script that changes a correctly shaped table's sets from `current` to `desired`. Additions are added;
 * any removal rewrites that family's set (flush + add in the same transaction, so no packet sees it empty)
 * because deleting single elements from a large interval set is quadratic in nft 1.0.x (minutes at 100,000).
 */
export function buildNftDiffScript(desired: Record<Family, readonly string[]>, current: Record<Family, readonly string[]>): string {
  const lines: string[] = [];
  for (const fam of [4, 6] as Family[]) {
    const d = diffTargets(desired[fam], current[fam]);
    if (d.remove.length > 0) lines.push(`flush set inet ${NFT_TABLE} ${NFT_SET[fam]}`, ...elementLines('add', fam, desired[fam]));
    else lines.push(...elementLines('add', fam, d.add));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function byFamily(keys: Array<{ family: Family; key: string }>): Record<Family, string[]> {
  return { 4: keys.filter((t) => t.family === 4).map((t) => t.key), 6: keys.filter((t) => t.family === 6).map((t) => t.key) };
}

export function makeNftablesBackend(run: Runner, opts: BackendOptions = {}): FirewallBackend {
  const hooks = nftHooksFor(validateChains('nftables', opts.chains));

  async function read(): Promise<NftState> {
    const args = ['-j', 'list', 'table', 'inet', NFT_TABLE];
    const r = await runCommand(run, 'nft', args);
    if (r.code === 0) return parseNftTable(r.stdout);
    if (/No such file or directory/.test(r.stderr)) return parseNftTable('{}');
    throw commandError('nft', args, r);
  }

  async function plan(targets: readonly string[]) {
    const desired = byFamily(collapseTargets(validateTargets('nftables', targets)));
    const state = await read();
    const current: Record<Family, string[]> = { 4: state.sets[NFT_SET[4]]?.elems ?? [], 6: state.sets[NFT_SET[6]]?.elems ?? [] };
    const d4 = diffTargets(desired[4], current[4]);
    const d6 = diffTargets(desired[6], current[6]);
    return {
      desired,
      current,
      problems: nftStructureProblems(state, hooks),
      added: [...d4.add, ...d6.add],
      removed: [...d4.remove, ...d6.remove],
    };
  }

  return {
    name: 'nftables',
    async apply(targets) {
      const p = await plan(targets);
      const script = p.problems.length > 0 ? buildNftRebuildScript(hooks, p.desired) : buildNftDiffScript(p.desired, p.current);
      if (script) await runChecked(run, 'nft', ['-f', '-'], script);
      return { added: p.added, removed: sortKeys(p.removed) };
    },
    async status(targets): Promise<BackendStatus> {
      const p = await plan(targets);
      const problems = p.problems.filter((x) => x !== 'table inet autoban is missing' || p.desired[4].length + p.desired[6].length > 0);
      return {
        backend: 'nftables',
        inSync: problems.length === 0 && p.added.length === 0 && p.removed.length === 0,
        missing: p.added,
        extra: sortKeys(p.removed),
        ...(problems.length ? { problems } : {}),
      };
    },
    async flush() {
      await runChecked(run, 'nft', ['-f', '-'], `add table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`);
    },
  };
}
