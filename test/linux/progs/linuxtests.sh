# linuxtests.sh runs, under Aramid, the test programs named by its
# arguments or else by /test/linuxtests.list, each in a fresh directory
# under /tmp, and frames each one's output with the lines that
# test/linux/linux_test.go parses: "=== begin NAME" before it and
# "=== end NAME STATUS" after it. A program still running after a minute
# is killed (status 137), so one hang does not stop the others.
for n in ${*:-$(cat /test/linuxtests.list)}; do
	mkdir "/tmp/$n" && cd "/tmp/$n" || exit 1
	echo "=== begin $n"
	"/test/$n" &
	pid=$!
	(sleep 60; kill -9 $pid) 2>/dev/null &
	watchdog=$!
	wait $pid
	st=$?
	kill $watchdog
	wait $watchdog
	echo "=== end $n $st"
	cd / && rm -rf "/tmp/$n"
done
echo "=== all done"
