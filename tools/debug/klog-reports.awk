# SPDX-License-Identifier: GPL-2.0-only
# The kernel's reports in a guest's kernel log (and kmemleak's findings, their lines prefixed
# "kmemleak: "), split into one report each and judged: make check-debug-wine's filter.
#   awk -v bad=REGEX [-v blocks=FILE] -f klog-reports.awk LOG
# A report starts at a delimiter the kernel prints around one ("[ cut here ]" lines, lines of
# "=", kmemleak's "unreferenced object", or a new title where the last report has one already)
# and ends at the next one, at "end trace" or at the end of its stack ("</TASK>", but for KASAN);
# its title is its first line matching REGEX (KLOG_BAD of tools/vm/lib.sh: the classes the debug
# lane rejects), and a span without such a line is no report.  Prints one line per report,
#   ntsync<TAB>TITLE   its text names ntsync (a function, file or the module's [ntsync] tag) or
#                      holds a frame with no symbol: code of a module that was unloaded, and
#                      ntsync is the only module of the debug kernels' guests;
#   other<TAB>TITLE    anything else (KCSAN races between other parts of the kernel, e.g.);
# (the list of loaded modules in a report is not read: it names ntsync whenever it is loaded);
# and with blocks=FILE each report's text, after a line "@@report KIND TITLE", into FILE.
function flush() {
	if (title != "") {
		kind = (judged ~ /ntsync/ || judged ~ /\[<[0-9a-f]+>\] 0x[0-9a-f]+/ ||
			judged ~ /(^|\n) *(\? )?0x[0-9a-f]+(\n|$)/) ? "ntsync" : "other"
		print kind "\t" title
		if (blocks != "")
			printf "@@report %s %s\n%s\n", kind, title, text >blocks
	}
	title = ""
	text = ""
	judged = ""
}
{
	line = $0
	sub(/^\[ *[0-9.]+\] /, "", line)
	if (line ~ /-+\[ cut here \]-+/ || line ~ /^=+$/ || line ~ /unreferenced object/ ||
	    (title != "" && line ~ bad && line !~ /Call Trace/ && line !~ /^ /))
		flush()
	if (title == "" && line ~ bad) {
		# (what came before the title is other messages, but for the delimiter)
		title = line
		if (text !~ /^(-+\[ cut here \]-+|=+|kmemleak: unreferenced object.*)$/)
			text = judged = ""
	}
	text = text (text == "" ? "" : "\n") line
	# (the list of loaded modules names ntsync in every report while it is loaded)
	if (line !~ /^Modules linked in:/)
		judged = judged "\n" line
	# (the end of a report's stack, but for KASAN's, whose allocation and free stacks follow)
	if (line ~ /---\[ end trace/ || (line ~ /^ *<\/TASK>$/ && title !~ /KASAN/))
		flush()
}
END { flush() }
