import { devicesOfPerson as resolveDevices } from '../protocol/deviceCert.js';

/**
 * The devices that act for a person: the person key (their first device) and every device their
 * certificates in `records` make theirs, minus revoked ones (src/lib/protocol/deviceCert.ts; the
 * records a document publishes are `deviceRecordsOf(doc).get(person)`). With no records, the
 * person is their one device.
 */
export function devicesOfPerson(person: Uint8Array, records: Uint8Array[] = []): Uint8Array[] {
	return resolveDevices(person, records);
}
