# linuxtests.sh runs, under Aramid, the test programs that
# /test/linuxtests.list names, each in a fresh directory under /tmp, and
# frames each one's output with the lines test/linux/linux_test.go parses:
# "=== begin NAME" before it and "=== end NAME STATUS" after it.
for n in $(cat /test/linuxtests.list); do
	mkdir "/tmp/$n" && cd "/tmp/$n" || exit 1
	echo "=== begin $n"
	"/test/$n"
	echo "=== end $n $?"
	cd / && rm -rf "/tmp/$n"
done
echo "=== all done"
