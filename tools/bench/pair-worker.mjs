// pair-worker.mjs: one of the two worker threads with which tools/bench/threads.mjs measures the
// machine in the same rounds as the threads: each holds its own 1-thread dense784 model (the W2
// spec and fit options it is sent) and trains one epoch per 'go', answering with the epoch's ms.
// Two of them training at once show what the machine's two cores give two independent trainings
// at that minute, beside the 2-thread model's speedup measured in the same round.
import { parentPort, workerData } from 'node:worker_threads';

const { Autoencoder } = await import(workerData.entry);
const ae = await Autoencoder.create(workerData.spec, { threads: 1 });
const x = workerData.x;
const epoch = async () => {
  const ms = [];
  await ae.fit(x, { ...workerData.fit, epochs: 1, onEpoch: (e) => { ms.push(e.ms); } });
  return ms[0];
};
for (let i = 0; i < workerData.warmup; i++) await epoch();
parentPort.on('message', async (m) => {
  if (m === 'go') parentPort.postMessage(await epoch());
  else { ae.dispose(); parentPort.close(); }
});
parentPort.postMessage('ready');
