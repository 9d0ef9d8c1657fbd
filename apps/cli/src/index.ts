export { buildProgram, runCli } from './main.js';
