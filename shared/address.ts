// How the workbook prints socket addresses: `127.0.0.1:65432` and `[::1]:65432`.
// IPv6 addresses contain colons themselves, so they are wrapped in brackets,
// the same way they are written in a URL.

import { isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';

export function formatAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address a listening server really got; with port 0 the system picked the port. */
export function serverAddress(server: Server): string {
  const address = server.address() as AddressInfo;
  return formatAddress(address.address, address.port);
}

/** The other end of a connected socket (the client, when called on a server's socket). */
export function peerAddress(socket: Socket): string {
  // A socket that was reset before we asked has no remote address any more.
  if (socket.remoteAddress === undefined || socket.remotePort === undefined)
    return 'an unknown peer';
  return formatAddress(socket.remoteAddress, socket.remotePort);
}
