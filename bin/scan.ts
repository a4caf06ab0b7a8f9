#!/usr/bin/env node
/** autoban-scan: the `autoban scan` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'scan');
