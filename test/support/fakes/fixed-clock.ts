import type { Clock } from '../../../src/ports.js';

/** A clock that moves only when told. */
export class FixedClock implements Clock {
  private constructor(private t: number) {}

  static at(iso: string | Date): FixedClock {
    return new FixedClock(new Date(iso).getTime());
  }

  now(): Date {
    return new Date(this.t);
  }

  set(iso: string | Date): void {
    this.t = new Date(iso).getTime();
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
