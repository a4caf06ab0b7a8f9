#!/usr/bin/env node
/** autoban: the main command line (`autoban <command>`). */
import { main } from '../lib/cli';

void main(process.argv.slice(2));
