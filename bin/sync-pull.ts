#!/usr/bin/env node
/** autoban-sync-pull: the `autoban sync-pull` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'sync-pull');
