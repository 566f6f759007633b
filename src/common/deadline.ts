/**
 * `promise`, or a rejection with `Error(message)` when it has not settled within `ms`: for waits on a database or a
 * broker that may stop answering rather than refuse (a stop must not hang on them). The timer does not keep the
 * process alive.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, message = `no answer within ${ms / 1000} s`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
