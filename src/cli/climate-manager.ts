#!/usr/bin/env node
import { runProcess } from './run';

void runProcess('manager', process.argv.slice(2));
