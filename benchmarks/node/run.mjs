// Runs @specfy/stack-analyser on each directory given on the command line and prints one JSON
// object: {"<dir>": {"techs": [...], "seconds": [...]}}. Timing excludes Node start-up so the
// comparison with the Python detector is in-process on both sides.
import { analyser, FSProvider, flatten } from '@specfy/stack-analyser';
import '@specfy/stack-analyser/dist/autoload.js';

const args = process.argv.slice(2);
const repeatIndex = args.indexOf('--repeat');
let repeat = 1;
if (repeatIndex !== -1) {
  repeat = Number(args[repeatIndex + 1]);
  args.splice(repeatIndex, 2);
}

const output = {};
for (const dir of args) {
  const seconds = [];
  let techs = [];
  for (let run = 0; run < repeat; run++) {
    const started = process.hrtime.bigint();
    const result = await analyser({ provider: new FSProvider({ path: dir, ignorePaths: [] }) });
    const flat = flatten(result, { merge: true });
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    const json = flat.toJson(dir);
    const all = new Set(json.techs);
    for (const child of json.childs ?? []) {
      if (child.tech) all.add(child.tech);
      for (const tech of child.techs ?? []) all.add(tech);
    }
    techs = [...all].sort();
  }
  output[dir] = { techs, seconds };
}
process.stdout.write(JSON.stringify(output) + '\n');
