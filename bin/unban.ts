#!/usr/bin/env node
/** autoban-unban: the `autoban unban` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'unban');
