// Whether a process still runs on this host (signal 0 checks without sending):
// how a lock left by a killed command is told from one that is held.
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
