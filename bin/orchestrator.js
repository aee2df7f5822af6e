#!/usr/bin/env node
// The published entry: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import process from "node:process";
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv.slice(2));
