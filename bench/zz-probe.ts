import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { benchApprovalLatency } from './zz-lat.ts';
const child = spawn(process.execPath, ['--import', 'tsx', new URL('./real-server.ts', import.meta.url).pathname, '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
let info: any;
for await (const line of createInterface({ input: child.stdout })) if (line.startsWith('{"ready"')) { info = JSON.parse(line); break; }
for (let k = 0; k < 2; k++) console.log(await benchApprovalLatency({ baseUrl: `http://127.0.0.1:${info.port}`, apiKey: info.apiKey, userToken: info.userToken }));
child.kill();
