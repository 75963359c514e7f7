// A tiny DNS server on loopback for the checks: it answers A and AAAA questions
// from a fixed table and says "no such name" to everything else, so a program's
// DNS queries can be checked without one packet leaving the machine.

import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';

const TYPE_A = 1;
const TYPE_AAAA = 28;

export interface FakeDnsServer {
  /** `127.0.0.1:<port>`, what a resolver's setServers() takes. */
  address: string;
  /** Every question asked, as `<type> <name>`, e.g. `A localhost`. */
  questions: string[];
  close(): Promise<void>;
}

/** Starts the server; `records` maps a name to its addresses (IPv4 and IPv6 mixed). */
export async function startFakeDnsServer(
  records: Readonly<Record<string, readonly string[]>>,
): Promise<FakeDnsServer> {
  const socket = dgram.createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (query, sender) => {
    const answer = answerQuery(query, records, questions);
    if (answer !== undefined) socket.send(answer, sender.port, sender.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    address: `127.0.0.1:${socket.address().port}`,
    questions,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answerQuery(
  query: Buffer,
  records: Readonly<Record<string, readonly string[]>>,
  questions: string[],
): Buffer | undefined {
  if (query.length < 17) return undefined;
  // The question: length-prefixed labels ending with a zero byte, then type and class.
  const labels: string[] = [];
  let offset = 12;
  for (let length = query.readUInt8(offset); length > 0; length = query.readUInt8(offset)) {
    labels.push(query.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
    if (offset >= query.length) return undefined;
  }
  const questionEnd = offset + 5;
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(offset + 1);
  const name = labels.join('.').toLowerCase();
  questions.push(`${type === TYPE_A ? 'A' : type === TYPE_AAAA ? 'AAAA' : type} ${name}`);

  const known = records[name];
  const wanted = (known ?? []).filter((address) => net.isIP(address) === (type === TYPE_A ? 4 : 6));
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's id
  // QR (a response), RD and RA; rcode 3 (NXDOMAIN) for an unknown name.
  header.writeUInt16BE(known === undefined ? 0x8183 : 0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(wanted.length, 6);
  const answers = wanted.map((address) => {
    const data = type === TYPE_A ? ipv4Bytes(address) : ipv6Bytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // a pointer to the name in the question
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(60, 6); // time to live, seconds
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [
        ...headGroups,
        ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
        ...tailGroups,
      ]
    : headGroups;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}
