#!/usr/bin/env node
import { runProcess } from './run';

void runProcess('api', process.argv.slice(2));
