/**
 * Saves text as a file through the browser's download (a Blob URL and a temporary link). The
 * file never passes through a server.
 */
export function downloadText(name: string, text: string, type = 'application/json'): void {
	const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
	const link = document.createElement('a');
	link.href = url;
	link.download = name;
	link.rel = 'noopener';
	document.body.append(link);
	link.click();
	link.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
