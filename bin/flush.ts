#!/usr/bin/env node
/** autoban-flush: the `autoban flush` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'flush');
