#!/usr/bin/env node
/** autoban-sync-push: the `autoban sync-push` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'sync-push');
