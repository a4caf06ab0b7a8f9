#!/usr/bin/env node
/** autoban-check-config: the `autoban check-config` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'check-config');
