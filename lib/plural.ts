/** A count with its noun in the right number, for messages people read: "1 ban", "0 bans", "1 entry", "2 entries". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
