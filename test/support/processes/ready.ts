/** What a fault-test child process prints on stdout once it serves (the harness waits for it). */
export const READY_LINE = '{"fault-test":"ready"}';
