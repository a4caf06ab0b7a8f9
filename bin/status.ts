#!/usr/bin/env node
/** autoban-status: the `autoban status` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'status');
