import { serviceImage } from '../lib/images';
import { podman } from '../lib/podman';
import { check, expectThat } from '../lib/report';

// The heap follows the memory limit: the runtime image caps V8's old space at 25% of the
// container's limit (NODE_OPTIONS=--max-old-space-size-percentage=25; Node reads the cgroup
// limit) and its semi-spaces at 16 MB (--max-semi-space-size=16: Node 24's V8 lets them grow to
// 64 MB, and with a 128 MB old space the workers then spent about twice the CPU per event in
// garbage collection; docs/BENCHMARK.md, "Node 24's young generation"). Under each limit, the
// image's heap limit (old space + three semi-spaces) must equal that of an explicit
// --max-old-space-size of a quarter of it with 16 MB semi-spaces (the comparison is made under
// the same limit), and differ between the limits.

const SEMI_SPACE_MB = 16;

async function heapLimitMb(image: string, memoryMb: number, nodeOptions?: string): Promise<number> {
  const env = nodeOptions ? ['-e', `NODE_OPTIONS=${nodeOptions}`] : [];
  const r = await podman(['run', '--rm', '--memory', `${memoryMb}m`, ...env, image, 'node', '-e', 'console.log(require("v8").getHeapStatistics().heap_size_limit)']);
  return Math.round(Number(r.stdout.trim()) / 2 ** 20);
}

export async function heapCheck(service: string): Promise<void> {
  await check(`${service} image: the heap follows the container's memory limit (old space 25% of it, semi-spaces 16 MB)`, async () => {
    const image = serviceImage(service);
    const seen: string[] = [];
    const limits: number[] = [];
    for (const memory of [512, 768]) {
      const options = `--max-old-space-size=${memory / 4} --max-semi-space-size=${SEMI_SPACE_MB}`;
      const [own, explicit] = [await heapLimitMb(image, memory), await heapLimitMb(image, memory, options)];
      expectThat(own === explicit, `under ${memory} MB: heap limit ${own} MB, but ${explicit} MB with ${options}`);
      seen.push(`${memory} MB -> ${own} MB`);
      limits.push(own);
    }
    expectThat(limits[1]! > limits[0]!, `the heap limit did not grow with the memory limit: ${seen.join(', ')}`);
    return `heap_size_limit ${seen.join(', ')} (= --max-old-space-size of a quarter and 16 MB semi-spaces, young generation included)`;
  });
}
