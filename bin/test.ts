#!/usr/bin/env node
/** autoban-test: the `autoban test` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'test');
