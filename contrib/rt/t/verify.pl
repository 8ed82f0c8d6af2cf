#!/usr/bin/perl
# Verify a delivered message's seal with the RT extension's code, outside RT:
#   perl -Icontrib/rt/lib contrib/rt/t/verify.pl KEYID=KEYFILE MESSAGE.eml
# prints "good" (exit 0) or the reason (exit 1). Used by tests/scan/run-dialects.sh
# to prove the Perl and C implementations agree.
use strict;
use warnings;
my ($key, $file) = @ARGV;
my ($id, $path) = split /=/, $key, 2;
{ package RT; my %c = (HelpdeskMilterSealKeys => { $id => $path });
  sub Config { 'RT' } sub Get { $c{$_[1]} } sub Logger { 'RT' } sub error { warn "$_[1]\n" } }
require RT::Extension::HelpdeskMilter;
open(my $fh, '<', $file) or die "$file: $!\n";
local $/;
my $text = <$fh>;
my ($v, $why) = RT::Extension::HelpdeskMilter->Verify($text);
print "$why\n";
exit($v ? 0 : 1);
