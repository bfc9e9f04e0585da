# Scenario: crash safety of folding main's history (issue 12). branch-crash-images.sh in its
# "fold" mode: a workload of many small commits into a 12M delta region (each also rewrites
# a page of a 2 MiB file, whose part folds then move into an aligned run), folding main now
# (DAXFS_IOC_FOLD) every 3rd commit besides the kernel's own folds, frozen and copied by the
# host at random moments and killed at last (branch-crash-images.prep fold; host fsck of
# every copy); here every copy validates, its main is the base after exactly a prefix of the
# commits, and a mount of it frees what a fold cut short left behind (folded slots) with
# fsck still clean and main unchanged. A page a published fold names that is free, or
# another slot's, is an error of the shared validator (common/daxfs_log.c).
# More copies: DAXFS_CRASH_SNAPS=N in the environment of tests/vm/run.
# Arguments: [verify]
# vm-run-args: --memmap 128M
# host-prep: tests/vm/branch-crash-images.prep fold
# quick-args:
exec sh "$(dirname "$0")/branch-crash-images.sh" fold "$@"
