#!/bin/bash
#
# Copyright 2021 Kontain Inc
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
# Script to run if something failed.
# Intented to run on a remote VM to gather logs and such.

[ "$TRACE" ] && set -x

# Log environment
env

echo Checking for kkm or kvm modules
lsmod | grep -i k.m
ls -lZ /dev/k*
id
echo '============ Kernel messages'
sudo dmesg
echo '============ Journal'
sudo journalctl -b --no-pager
echo '============ End of logs'
