// The part of autocannon 9's API bench:dashboard uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram { average: number; p50: number; p90: number; p99: number; max: number }
  interface Request { path?: string; setupRequest?: (request: { path: string }) => { path: string } }
  interface Options { url: string; connections?: number; duration?: number; timeout?: number; requests?: Request[] }
  interface Result { latency: Histogram; requests: Histogram & { total: number }; throughput: Histogram; errors: number; timeouts: number; non2xx: number; duration: number }
  export default function autocannon(options: Options): Promise<Result>;
}
