#!/usr/bin/env node
import { runProcess } from './run';

void runProcess('all-in-one', process.argv.slice(2));
