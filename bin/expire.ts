#!/usr/bin/env node
/** autoban-expire: the `autoban expire` command as its own entrypoint. */
import { main } from '../lib/cli';

void main(process.argv.slice(2), 'expire');
