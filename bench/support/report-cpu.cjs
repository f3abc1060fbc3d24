// Preloaded (`node -r`) into each process the CLI cold-start bench starts: at exit, writes the
// process's peak RSS (and its own count of its CPU time, which misses the teardown after exit:
// the bench takes CPU from the parent shell instead) to fd 3.
const fs = require('node:fs');

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  const { maxRSS } = process.resourceUsage();
  try {
    fs.writeSync(3, JSON.stringify({ user, system, maxRssKiB: maxRSS }));
  } catch {
    // No fd 3: run by hand.
  }
});
