#!/usr/bin/env node
/** autoban-run: the `autoban run` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'run');
