# nginx and dropbear on Aramid: an image carrying Debian's packages, which
# the guest installs itself (test/packages/install), and the tests that
# use them (issue 15).

# The packages (and the libraries they need) fetched with apt-get download;
# never installed on this machine.
PKG_DEBS := libc6 libgcc-s1 libcrypt1 zlib1g libpcre2-8-0 libssl3 libgmp10 \
	libtommath1 libtomcrypt1 dropbear-bin nginx-light nginx-common nginx \
	libnginx-mod-http-echo openssh-client
PKG_DEB_DIR := $(BUILD)/debs
PKG_TREE := $(BUILD)/pkgroot
PKG_IMG := $(BUILD)/packages.ext4
# Files nginx serves from the root, compared byte for byte by the tests.
PKG_WWW := $(PKG_TREE)/var/www/html

$(PKG_DEB_DIR)/.stamp: mk/packages.mk
	rm -rf $(PKG_DEB_DIR)
	tools/debs $(PKG_DEB_DIR) $(PKG_DEBS)
	touch $@

# The standard root plus /debs (the packages and the install script), a
# uid 1000 user for dropbear's login checks, and files for nginx to serve:
# a page and 10 MiB of random bytes.
$(PKG_IMG): $(PKG_DEB_DIR)/.stamp test/packages/install
	$(call ROOT_TREE,$(PKG_TREE))
	mkdir -p $(PKG_TREE)/debs $(PKG_TREE)/home/user $(PKG_WWW)
	cp $(PKG_DEB_DIR)/*.deb test/packages/install $(PKG_TREE)/debs/
	echo 'user:x:1000:1000:user:/home/user:/bin/sh' >> $(PKG_TREE)/etc/passwd
	echo 'user:x:1000:' >> $(PKG_TREE)/etc/group
	printf 'hello from nginx on aramid\n' > $(PKG_WWW)/hello.txt
	head -c 10485760 /dev/urandom > $(PKG_WWW)/10m.bin
	$(call EXT4_IMAGE,$(PKG_TREE),$@,192M)

## packages-image: build the image with nginx's and dropbear's .deb files for the guest to install (build/packages.ext4)
packages-image: $(PKG_IMG)

.PHONY: packages-image

# The tests boot the package image once each, install the packages in the
# guest, and talk to it through hostfwd on free ports. STRACE=1 traces
# every system call of the shell and what it starts (linuxd strace).
PKG_STRACE := linuxd,strace,/bin/sh!!
PKG_TEST_ENV = ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) \
	ARAMID_APPEND="$(LINUX_APPEND)" ARAMID_IMAGE=$(abspath $(PKG_IMG)) \
	$(if $(STRACE),ARAMID_LINUXD='$(PKG_STRACE)')

## test-nginx: install nginx-light in Aramid; nginx -t, workers, curl and wrk via hostfwd, IPv6, reload, quit (STRACE=1 to trace)
test-nginx: kernel bundle $(PKG_IMG)
	@$(NEED) qemu-system-x86 curl wrk
	$(PKG_TEST_ENV) ARAMID_WWW=$(abspath $(PKG_WWW)) $(GO) test -count=1 -timeout 30m -v ./test/nginx/

## test-dropbear: install dropbear-bin in Aramid; host key, ssh logins as root and uid 1000, scp both ways (STRACE=1 to trace)
test-dropbear: kernel bundle $(PKG_IMG)
	@$(NEED) qemu-system-x86 openssh-client
	$(PKG_TEST_ENV) $(GO) test -count=1 -timeout 30m -v ./test/dropbear/

TESTS += test-nginx test-dropbear
.PHONY: test-nginx test-dropbear

# make bench's nginx image (NGINX_IMG, mk/bench.mk): the package image
# with the packages installed by Aramid, as make test-nginx installs them.
$(NGINX_IMG): $(PKG_IMG) tools/bench/progs/nginx-bench | kernel bundle
	@$(NEED) qemu-system-x86 e2fsprogs
	@mkdir -p $(BENCH_DIR)
	cp --sparse=always $(PKG_IMG) $@.tmp
	printf 'cd /test\nwrite tools/bench/progs/nginx-bench nginx-bench\n' | debugfs -w -f - $@.tmp
	timeout 30m qemu-system-x86_64 $(QEMU_FLAGS) -kernel $(KERNEL) -initrd $(BUNDLE) $(call LINUX_DEVICES,$@.tmp) \
		-append "$(LINUX_APPEND) linuxd,/bin/sh,/debs/install!!" | tr -d '\r' > $(BENCH_DIR)/nginx-install.txt || true
	@grep -qx 'install: ok' $(BENCH_DIR)/nginx-install.txt || { tail -20 $(BENCH_DIR)/nginx-install.txt; exit 1; }
	mv $@.tmp $@
