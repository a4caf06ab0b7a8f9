#!/usr/bin/env node
/** autoban-ban: the `autoban ban` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'ban');
