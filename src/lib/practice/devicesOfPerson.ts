/**
 * The devices that act for a person. Today a person is one device: its signing key is the person
 * key. Device certificates (rule 3) will let a person add devices; then this resolves the
 * certified devices, and every caller (admission, role change, rotation) follows without change.
 */
export function devicesOfPerson(person: Uint8Array): Uint8Array[] {
	return [person];
}
