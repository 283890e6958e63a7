// Process signals as an event source (the seed's S0 = SIGINT, S1 = SIGTERM). While subscribed the
// listener replaces Node's default exit, so the owning machine decides how to stop.
import { Observable } from 'rxjs';

export function signalSource(signal: NodeJS.Signals): Observable<void> {
  return new Observable<void>((subscriber) => {
    const onSignal = (): void => subscriber.next();
    process.on(signal, onSignal);
    return () => {
      process.off(signal, onSignal);
    };
  });
}
