/**
 * Where the shared objects live, from the [sync] section:
 *   aws:   s3_hostsdeny = s3://bucket/etc/          -> etc/hosts.deny, and node documents under etc/nodes/
 *          s3_whitelist = s3://bucket/etc/ban/      -> etc/ban/whitelist.txt
 *          (a URL not ending in '/' is a full key: s3://bucket/etc/hosts.deny)
 *   local: shared_dir = /mnt/share  -> /mnt/share/hosts.deny, /mnt/share/whitelist.txt, /mnt/share/nodes/
 */
import type { SyncConfig } from '../config';
import { DirObjectStore } from './dir-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-store';

export const HOSTS_DENY_NAME = 'hosts.deny';
export const WHITELIST_NAME = 'whitelist.txt';
export const NODES_DIR = 'nodes/';

/** One shared object: the store it lives in and its key there. */
export interface ObjectRef {
  store: ObjectStore;
  key: string;
}

export interface SyncLayout {
  hostsDeny: ObjectRef;
  whitelist: ObjectRef;
  /** Store and key prefix of the per-node documents. */
  nodes: { store: ObjectStore; prefix: string };
  /** Every distinct store, for close(). */
  stores: ObjectStore[];
}

export interface S3Location {
  bucket: string;
  key: string;
}

/**
 * Splits `s3://bucket/some/prefix/` (prefix: `defaultName` is appended) or `s3://bucket/some/key` (full key).
 * Returns an error string for anything else.
 */
export function parseS3Url(url: string, defaultName: string): S3Location | string {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) return `expected s3://bucket/prefix/ or s3://bucket/key, got '${url}'`;
  const bucket = m[1] as string;
  const rest = m[2] ?? '';
  if (rest.startsWith('/') || rest.split('/').some((p, i, a) => (p === '' && i < a.length - 1) || p === '.' || p === '..')) {
    return `unexpected empty or relative path segment in '${url}'`;
  }
  const key = rest === '' || rest.endsWith('/') ? `${rest}${defaultName}` : rest;
  return { bucket, key };
}

/** The directory part of a key, with its trailing slash ('' for a key at the bucket root). */
export function keyDir(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i + 1);
}

/** Stores are created here so that only context = aws ever loads the AWS SDK (inside S3ObjectStore). */
export interface StoreFactory {
  s3(bucket: string): ObjectStore;
  dir(root: string): ObjectStore;
}

export function defaultStoreFactory(sync: SyncConfig): StoreFactory {
  return {
    s3: (bucket) => new S3ObjectStore({ bucket, endpoint: sync.s3Endpoint, region: sync.s3Region }),
    dir: (root) => new DirObjectStore(root),
  };
}

/** Resolves the configured locations; null when sync is off. Throws an Error with a one-line message on a bad URL. */
export function resolveLayout(sync: SyncConfig, factory: StoreFactory = defaultStoreFactory(sync)): SyncLayout | null {
  if (sync.context === 'none') return null;
  if (sync.context === 'local') {
    if (!sync.sharedDir) throw new Error('[sync] shared_dir is required when context = local');
    const store = factory.dir(sync.sharedDir);
    return {
      hostsDeny: { store, key: HOSTS_DENY_NAME },
      whitelist: { store, key: WHITELIST_NAME },
      nodes: { store, prefix: NODES_DIR },
      stores: [store],
    };
  }
  const deny = parseS3Url(sync.s3Hostsdeny ?? '', HOSTS_DENY_NAME);
  if (typeof deny === 'string') throw new Error(`[sync] s3_hostsdeny: ${deny}`);
  const wl = parseS3Url(sync.s3Whitelist ?? '', WHITELIST_NAME);
  if (typeof wl === 'string') throw new Error(`[sync] s3_whitelist: ${wl}`);
  const denyStore = factory.s3(deny.bucket);
  const wlStore = wl.bucket === deny.bucket ? denyStore : factory.s3(wl.bucket);
  return {
    hostsDeny: { store: denyStore, key: deny.key },
    whitelist: { store: wlStore, key: wl.key },
    nodes: { store: denyStore, prefix: `${keyDir(deny.key)}${NODES_DIR}` },
    stores: wlStore === denyStore ? [denyStore] : [denyStore, wlStore],
  };
}

/** Key of a node's own document. */
export function nodeKey(layout: SyncLayout, nodeId: string): string {
  return `${layout.nodes.prefix}${nodeId}.json`;
}

/** Node id from a document key, or null when the key is not `<prefix><id>.json` with a valid id. */
export function nodeIdOfKey(prefix: string, key: string): string | null {
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return null;
  const id = key.slice(prefix.length, -'.json'.length);
  return NODE_ID_RE.test(id) ? id : null;
}

/** Same rule as config's node_id. */
export const NODE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
